//! Tolerant string enums for Meta's JSON.
//!
//! Meta's docs disagree on casing (`COMPLETED` vs `Completed`) and add values over time. Every enum
//! made by [`wire_enum!`] therefore parses case-insensitively (plus listed aliases), keeps any value
//! it does not know in an `Unknown(String)` variant instead of failing the whole payload, and always
//! emits the documented spelling.

/// Declares a tolerant string enum: `Variant => "documented" | "alias", ...`.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this crate does not know, kept verbatim so it survives a round trip.
            Unknown(String),
        }

        impl $name {
            /// The documented wire spelling (or the unknown value verbatim).
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Unknown(other) => other.as_str(),
                }
            }

            /// Parses case-insensitively, accepting aliases; never fails.
            pub fn parse(text: &str) -> Self {
                $(
                    if text.eq_ignore_ascii_case($wire) $(|| text.eq_ignore_ascii_case($alias))* {
                        return Self::$variant;
                    }
                )+
                Self::Unknown(text.to_owned())
            }

            /// True when the value is one this crate knows.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Ok(Self::parse(text))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::parse(&text))
            }
        }
    };
}

pub(crate) use wire_enum;

#[cfg(test)]
mod tests {
    wire_enum! {
        enum Sample {
            Completed => "COMPLETED" | "done",
            Failed => "FAILED",
        }
    }

    #[test]
    fn parses_case_insensitively_and_emits_documented_spelling() {
        let parsed: Sample = serde_json::from_str("\"Completed\"").unwrap();
        assert_eq!(parsed, Sample::Completed);
        assert_eq!(serde_json::to_string(&parsed).unwrap(), "\"COMPLETED\"");
        assert_eq!(Sample::parse("DONE"), Sample::Completed);
    }

    #[test]
    fn keeps_unknown_values_verbatim() {
        let parsed: Sample = serde_json::from_str("\"Exploded\"").unwrap();
        assert_eq!(parsed, Sample::Unknown("Exploded".into()));
        assert!(!parsed.is_known());
        assert_eq!(serde_json::to_string(&parsed).unwrap(), "\"Exploded\"");
        assert!(Sample::Failed.is_known());
    }
}
