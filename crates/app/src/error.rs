//! Errors users see: a stable code, a message that names the field, the right HTTP status.
//! What went wrong inside (for the log) is kept apart from what the user is told.

use serde_json::Value;
use wangge_domain::FieldError;
use wangge_store::{StorageFault, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidInput,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    RuleViolated,
    TooManyRequests,
    /// A service the request needs (the file store) is down: try again later.
    Unavailable,
    Internal,
}

impl ErrorKind {
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::RuleViolated => "rule_violated",
            ErrorKind::TooManyRequests => "too_many_requests",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Internal => "internal",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            ErrorKind::InvalidInput => 400,
            ErrorKind::Unauthorized => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::RuleViolated => 422,
            ErrorKind::TooManyRequests => 429,
            ErrorKind::Unavailable => 503,
            ErrorKind::Internal => 500,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppError {
    pub kind: ErrorKind,
    pub message: String,
    pub details: Option<Value>,
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.code(), self.message)
    }
}

impl std::error::Error for AppError {}

impl AppError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        AppError { kind, message: message.into(), details: None }
    }
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        AppError {
            kind: ErrorKind::InvalidInput,
            message: format!("{field}: {message}"),
            details: Some(serde_json::json!({ "field": field })),
        }
    }
    pub fn rule(field: &str, message: impl Into<String>) -> Self {
        let mut e = Self::field(field, message);
        e.kind = ErrorKind::RuleViolated;
        e
    }
    pub fn unauthorized() -> Self {
        Self::new(ErrorKind::Unauthorized, "请先登录 / authentication required")
    }
    pub fn bad_credentials() -> Self {
        Self::new(ErrorKind::Unauthorized, "用户名或密码错误 / wrong username or password")
    }
    pub fn forbidden() -> Self {
        Self::new(ErrorKind::Forbidden, "无权执行此操作 / not allowed for your role")
    }
    /// A 403 that says what was refused (e.g. a sensitive group the caller may not see).
    pub fn forbidden_because(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, message)
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorKind::NotFound, format!("不存在或无权查看 / not found: {what}"))
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }
    pub fn too_many() -> Self {
        Self::new(ErrorKind::TooManyRequests, "尝试次数过多，请15分钟后再试 / too many attempts, try again later")
    }
    pub fn internal(log_message: impl Into<String>) -> Self {
        // The detail goes to the log, never to the user.
        tracing::error!(error = %log_message.into(), "internal error");
        Self::new(ErrorKind::Internal, "内部错误 / internal error")
    }
    /// The file store (or another service a request needs) cannot be reached: 503, detail to the log only.
    pub fn unavailable(what: &str, log_message: impl Into<String>) -> Self {
        tracing::error!(error = %log_message.into(), "{what} unavailable");
        Self::new(ErrorKind::Unavailable, "文件存储暂不可用，请稍后再试 / file storage is unavailable, try again later")
    }
    /// The disk under the database or the files is full or read-only: 503, `details.reason` says which, the
    /// message tells the user nothing was saved.
    pub fn storage(fault: StorageFault, log_message: impl Into<String>) -> Self {
        tracing::error!(error = %log_message.into(), ?fault, "storage refused a write");
        let (reason, message) = match fault {
            StorageFault::Full => (
                "storage_full",
                "存储空间已满，本次操作未保存，请联系系统管理员清理磁盘 / the disk is full: nothing was saved, ask the administrator to free space",
            ),
            StorageFault::ReadOnly => (
                "read_only",
                "数据存储为只读，本次操作未保存，请联系系统管理员 / storage is read-only: nothing was saved, ask the administrator",
            ),
            StorageFault::Io => (
                "io_error",
                "存储读写失败，本次操作可能未完成，请稍后再试并联系系统管理员 / a storage error: the operation may not have completed, try again later and tell the administrator",
            ),
        };
        Self::new(ErrorKind::Unavailable, message).with_details(serde_json::json!({ "reason": reason }))
    }
    /// A file could not be written or read: a full or read-only disk says so, anything else is the file store
    /// being unavailable.
    pub fn file_store(log_message: impl Into<String>, e: &std::io::Error) -> Self {
        let log_message = format!("{}: {e}", log_message.into());
        match StorageFault::of_io(e) {
            Some(fault) => Self::storage(fault, log_message),
            None => Self::unavailable("file store", log_message),
        }
    }
    /// Adds machine-readable details (e.g. the duplicates found, the current status).
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }
    /// The field named in `details`, if any.
    pub fn field_name(&self) -> Option<&str> {
        self.details.as_ref()?.get("field")?.as_str()
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::field(&e.field, e.message)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::not_found("object"),
            StoreError::Conflict(m) => AppError::conflict(m),
            other => match other.storage_fault() {
                Some(fault) => AppError::storage(fault, other.to_string()),
                None => AppError::internal(other.to_string()),
            },
        }
    }
}
