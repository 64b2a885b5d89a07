//! Macros shared by the domain's modules.

/// Declares a closed list with stable codes, Chinese labels and English labels.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = ($code:literal, $zh:literal, $en:literal)),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }

            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en),+ }
            }

            /// Accepts the code, the Chinese label or the English label (any case).
            pub fn parse(field: &str, s: &str) -> Result<$name, $crate::FieldError> {
                let s = s.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s || v.label_zh() == s || v.label_en().eq_ignore_ascii_case(s))
                    .ok_or_else(|| {
                        let zh: Vec<&str> = Self::ALL.iter().map(|v| v.label_zh()).collect();
                        $crate::FieldError::new(field, format!("应为{}之一 / must be one of {}: {s}", zh.join("、"), zh.join(", ")))
                    })
            }
        }
    };
}
