//! Attachments in an S3-compatible object store (`WANGGE_S3_BUCKET`): bytes and thumbnails go to the bucket,
//! nothing to the data directory, and they come back to whoever may see the event. The store here is moto's
//! S3 server (installed by scripts/install-test-deps.sh), speaking the S3 protocol on 127.0.0.1.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use wangge_app::events::{ReportInput, Reporter};
use wangge_app::{App, Config, system_actor};

struct S3Server(Child, u16);

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_s3() -> S3Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new("python3")
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 with moto[server] (scripts/install-test-deps.sh installs it)");
    let server = S3Server(child, port);
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(30), "the S3 server did not start on port {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

/// Raw HTTP request to the S3 server (bucket creation and listing need no signature on moto).
fn http(port: u16, method: &str, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[tokio::test]
async fn attachments_live_in_the_bucket() {
    let s3 = start_s3();
    assert!(http(s3.1, "PUT", "/wangge-files").starts_with("HTTP/1.1 200"), "bucket created");
    let db = wangge_testkit::sqlite();
    let mut config = Config::new(db.data_dir());
    config.s3 = Some(wangge_app::attachments::S3Settings {
        bucket: "wangge-files".into(),
        endpoint: Some(format!("http://127.0.0.1:{}", s3.1)),
        region: Some("us-east-1".into()),
        access_key_id: Some("wangge".into()),
        secret_access_key: Some("wangge-secret".into()),
        allow_http: true,
    });
    let app = App::open(config, &db.url).await.expect("open app with an S3 store");
    app.load_demo(&system_actor("t"), wangge_demo::Scale::Small, 1, Some("demo-pass-123")).await.unwrap();
    let admin = system_actor("t");

    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 3, y as u8 * 5, 90]));
    let mut png = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut png, image::ImageFormat::Png).unwrap();
    let png = png.into_inner();
    let pdf = b"%PDF-1.4\n% wangge\n".to_vec();
    let uploader = wangge_app::attachments::uploader_key(&admin);
    let photo = app.save_attachment(&uploader, false, "现场.png", png.clone()).await.unwrap();
    let doc = app.save_attachment(&uploader, false, "说明.pdf", pdf.clone()).await.unwrap();

    let input = ReportInput {
        category: "E0102".into(),
        description: "垃圾堆放".into(),
        grid_code: Some("33019900100101".into()),
        attachments: vec![photo.id, doc.id],
        ..ReportInput::default()
    };
    app.report_event(Reporter::User(&admin), input).await.unwrap();

    // Back from the bucket, byte for byte, and the thumbnail too.
    let (ct, bytes) = app.attachment_for(&admin, photo.id, false).await.unwrap();
    assert_eq!((ct.as_str(), bytes), ("image/png", png));
    let (ct, thumb) = app.attachment_for(&admin, photo.id, true).await.unwrap();
    assert_eq!(ct, "image/jpeg");
    assert!(image::load_from_memory(&thumb).unwrap().width() <= 320);
    assert_eq!(app.attachment_for(&admin, doc.id, false).await.unwrap().1, pdf);

    // The bucket holds three objects (photo, thumbnail, PDF); the data directory holds no files.
    let listing = http(s3.1, "GET", "/wangge-files?list-type=2");
    assert_eq!(listing.matches("<Key>").count(), 3, "{listing}");
    assert!(!db.data_dir().join("files").exists(), "nothing written under the data directory");

    // The store goes down: uploads and downloads answer 503 "try again later", and no attachment row is left.
    let port = s3.1;
    drop(s3);
    let (before,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM attachments").fetch_one(app.store.pool()).await.unwrap();
    let e = app.save_attachment(&uploader, false, "再试.pdf", b"%PDF-1.4\n".to_vec()).await.unwrap_err();
    assert_eq!((e.kind.status(), e.kind.code()), (503, "unavailable"), "{e:?}");
    let (after,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM attachments").fetch_one(app.store.pool()).await.unwrap();
    assert_eq!(after, before, "nothing half-written");
    assert_eq!(app.attachment_for(&admin, doc.id, false).await.unwrap_err().kind.status(), 503);
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "the store is really down");
    db.cleanup().await;
}
