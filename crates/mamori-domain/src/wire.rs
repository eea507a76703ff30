//! Values as they travel: [`wire_enum!`](crate::wire_enum) declares an enum of plain choices
//! from one table of variants, each with its wire name, and
//! [`text_conversions!`](crate::text_conversions) gives a value serde reads and writes as
//! text its conversions from and to `String`.
//!
//! The wire name is what the enum is stored as, sent as in the API and read back from forms
//! and files. Declaring the table once keeps `as_str`, `parse` and `ALL` from drifting apart.

/// Declares an enum whose variants each have one wire name, and generates:
///
/// - `ALL`: every variant, in the order they are declared;
/// - `as_str(self) -> &'static str`: the wire name;
/// - with a `parse` clause, `parse(text)`, which reads the wire name or one of the other
///   spellings listed after the variant (`Variant | "other spelling"`).
///
/// A variant's wire name is its name in snake_case (`NationalAdmin` → `national_admin`), the
/// name serde's `rename_all = "snake_case"` gives it, unless one is written after it
/// (`FloorYen = "floor_1"`). The enum keeps every attribute, derive and doc comment written
/// on it and its variants.
///
/// The `parse` clause says how the text is compared and what a text that names no variant
/// gives:
///
/// - `parse(exact | trim | trim_lowercase) -> Option;` returns `None`;
/// - `parse(exact | trim | trim_lowercase) -> Err("field", "fluent-key", text);` returns a
///   [`ParseError`](crate::ParseError) for `field` with the message `fluent-key`, whose one
///   argument is named by the last word: `text` gets the text as given, `other` the text as
///   compared (trimmed, lowercased).
///
/// ```
/// mamori_domain::wire_enum! {
///     /// How bright a lamp is.
///     #[derive(Debug, Clone, Copy, PartialEq, Eq)]
///     pub enum Brightness {
///         Dim,
///         FullyOn | "full",
///         Blinking = "blink",
///     }
///     parse(trim) -> Option;
/// }
/// assert_eq!(Brightness::ALL, [Brightness::Dim, Brightness::FullyOn, Brightness::Blinking]);
/// assert_eq!(Brightness::FullyOn.as_str(), "fully_on");
/// assert_eq!(Brightness::parse(" full "), Some(Brightness::FullyOn));
/// assert_eq!(Brightness::parse("blink"), Some(Brightness::Blinking));
/// ```
#[macro_export]
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident $(= $wire:literal)? $(| $alias:literal)*
            ),+ $(,)?
        }
        $(parse($how:ident) -> $($rejection:tt)+)?
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, in the order of the declaration.
            pub const ALL: [$name; [$(stringify!($variant)),+].len()] = [$(Self::$variant),+];

            /// The wire name: stored, sent in the API, read back by `parse`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $crate::wire_enum!(@wire $variant $($wire)?),)+
                }
            }

            $crate::wire_enum!(
                @parse [$($how [$($rejection)+])?] $($variant [$($alias)*]),+
            );
        }
    };

    (@parse [] $($variant:ident [$($alias:literal)*]),+) => {};

    (@wire $variant:ident $wire:literal) => { $wire };
    (@wire $variant:ident) => {{
        const NAME: &str = stringify!($variant);
        const BYTES: [u8; $crate::wire::snake_case_len(NAME)] = $crate::wire::snake_case(NAME);
        const WIRE: &str = match ::core::str::from_utf8(&BYTES) {
            Ok(wire) => wire,
            Err(_) => panic!("a variant's name is ASCII"),
        };
        WIRE
    }};

    (@parse [$how:ident [Option;]] $($variant:ident [$($alias:literal)*]),+) => {
        /// Reads the wire name (or another spelling); `None` for anything else.
        pub fn parse(text: &str) -> Option<Self> {
            let compared = $crate::wire_enum!(@compare $how text);
            let compared: &str = compared.as_ref();
            Self::ALL.into_iter().find(|&v| {
                v.as_str() == compared
                    || match v {
                        $(Self::$variant => <[&str]>::contains(&[$($alias),*], &compared),)+
                    }
            })
        }
    };

    (@parse [$how:ident [Err($field:literal, $key:literal, $arg:ident);]]
        $($variant:ident [$($alias:literal)*]),+) => {
        /// Reads the wire name (or another spelling); anything else is refused.
        pub fn parse(text: &str) -> Result<Self, $crate::ParseError> {
            let compared = $crate::wire_enum!(@compare $how text);
            let other: &str = compared.as_ref();
            Self::ALL
                .into_iter()
                .find(|&v| {
                    v.as_str() == other
                        || match v {
                            $(Self::$variant => <[&str]>::contains(&[$($alias),*], &other),)+
                        }
                })
                .ok_or_else(|| {
                    $crate::ParseError::new(
                        $field,
                        $crate::Message::new($key).with(
                            stringify!($arg),
                            $crate::arg($crate::wire_enum!(@arg $arg text other)),
                        ),
                    )
                })
        }
    };

    (@compare exact $text:ident) => { $text };
    (@compare trim $text:ident) => { $text.trim() };
    (@compare trim_lowercase $text:ident) => { $text.trim().to_ascii_lowercase() };

    (@arg text $text:ident $other:ident) => { $text };
    (@arg other $text:ident $other:ident) => { $other };
}

/// `TryFrom<String>` by the type's `parse(&str) -> Result<Self, ParseError>` (or the error
/// type named after the type) and `From<Type> for String` by the closure given, for a value
/// serde reads and writes as its text (`#[serde(try_from = "String", into = "String")]`).
///
/// ```
/// #[derive(Debug, PartialEq)]
/// pub struct Code(String);
///
/// impl Code {
///     pub fn parse(text: &str) -> Result<Self, mamori_domain::ParseError> {
///         Ok(Self(text.trim().to_owned()))
///     }
/// }
///
/// mamori_domain::text_conversions!(Code, |code| code.0);
/// assert_eq!(Code::try_from(" A1 ".to_owned()), Ok(Code("A1".to_owned())));
/// assert_eq!(String::from(Code("A1".to_owned())), "A1");
/// ```
#[macro_export]
macro_rules! text_conversions {
    ($ty:ident, |$value:ident| $text:expr) => {
        $crate::text_conversions!($ty, $crate::ParseError, |$value| $text);
    };
    ($ty:ident, $error:ty, |$value:ident| $text:expr) => {
        impl TryFrom<String> for $ty {
            type Error = $error;

            fn try_from(text: String) -> Result<Self, Self::Error> {
                Self::parse(&text)
            }
        }

        impl From<$ty> for String {
            fn from($value: $ty) -> Self {
                $text
            }
        }
    };
}

/// The length of [`snake_case`]`(name)`.
#[doc(hidden)]
pub const fn snake_case_len(name: &str) -> usize {
    let bytes = name.as_bytes();
    let mut len = bytes.len();
    let mut i = 1;
    while i < bytes.len() {
        if bytes[i].is_ascii_uppercase() {
            len += 1;
        }
        i += 1;
    }
    len
}

/// A CamelCase ASCII name in snake_case, as serde's `rename_all = "snake_case"` writes it:
/// an `_` before every capital but the first, all lowercased (`ELearning` → `e_learning`).
#[doc(hidden)]
pub const fn snake_case<const N: usize>(name: &str) -> [u8; N] {
    let bytes = name.as_bytes();
    let mut out = [0; N];
    let (mut i, mut j) = (0, 0);
    while i < bytes.len() {
        if i > 0 && bytes[i].is_ascii_uppercase() {
            out[j] = b'_';
            j += 1;
        }
        out[j] = bytes[i].to_ascii_lowercase();
        i += 1;
        j += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::{Lang, ParseError};

    crate::wire_enum! {
        /// A test enum read exactly.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Exact {
            /// The first.
            One,
            TwoAndAHalf = "two" | "2",
        }
        parse(exact) -> Err("number", "domain-parse-role-one-national-admin", text);
    }

    crate::wire_enum! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Trimmed {
            Up,
            Down,
        }
        parse(trim) -> Err("direction", "domain-parse-audience-one-executive-manager", other);
    }

    crate::wire_enum! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Lowered {
            Yes | "はい",
            No,
        }
        parse(trim_lowercase) -> Option;
    }

    crate::wire_enum! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        enum Unread {
            Only,
            ELearning,
            VpnNoSecurityUpdates,
            X,
        }
    }

    #[test]
    fn all_lists_the_variants_in_declaration_order() {
        assert_eq!(Exact::ALL, [Exact::One, Exact::TwoAndAHalf]);
        assert_eq!(Trimmed::ALL, [Trimmed::Up, Trimmed::Down]);
        assert_eq!(Lowered::ALL, [Lowered::Yes, Lowered::No]);
        assert_eq!(Unread::ALL.len(), 4);
    }

    #[test]
    fn the_wire_name_is_the_snake_case_name_serde_writes_unless_given() {
        let cases = [
            (Unread::Only, "only"),
            (Unread::ELearning, "e_learning"),
            (Unread::VpnNoSecurityUpdates, "vpn_no_security_updates"),
            (Unread::X, "x"),
        ];
        for (variant, wire) in cases {
            assert_eq!(variant.as_str(), wire, "{variant:?}");
            let serde = serde_json::to_value(variant).expect("serialises");
            assert_eq!(serde, wire, "{variant:?}");
        }
        assert_eq!(Exact::TwoAndAHalf.as_str(), "two");
    }

    #[test]
    fn every_wire_name_reads_back() {
        for v in Exact::ALL {
            assert_eq!(Exact::parse(v.as_str()), Ok(v), "{}", v.as_str());
        }
        for v in Trimmed::ALL {
            assert_eq!(Trimmed::parse(v.as_str()), Ok(v), "{}", v.as_str());
        }
        for v in Lowered::ALL {
            assert_eq!(Lowered::parse(v.as_str()), Some(v), "{}", v.as_str());
        }
    }

    #[test]
    fn texts_are_compared_as_the_clause_says() {
        let cases: [(&str, Option<Lowered>); 6] = [
            (" YES ", Some(Lowered::Yes)),
            ("はい", Some(Lowered::Yes)),
            ("No", Some(Lowered::No)),
            ("maybe", None),
            ("", None),
            ("y e s", None),
        ];
        for (text, expected) in cases {
            assert_eq!(Lowered::parse(text), expected, "{text:?}");
        }
        assert_eq!(Exact::parse("2"), Ok(Exact::TwoAndAHalf));
        assert!(Exact::parse(" one").is_err(), "exact does not trim");
        assert!(
            Exact::parse("two_and_a_half").is_err(),
            "a given wire name replaces it"
        );
        assert_eq!(Trimmed::parse("  down\t"), Ok(Trimmed::Down));
        assert!(Trimmed::parse("Down").is_err(), "trim keeps the case");
    }

    #[test]
    fn a_refusal_names_the_field_and_the_text() {
        let refusal: ParseError = Exact::parse(" three ").expect_err("no such variant");
        assert_eq!(refusal.field, "number");
        let shown = refusal.message.render(Lang::En);
        assert!(shown.contains(" three "), "{shown}");
        let refusal = Trimmed::parse(" sideways ").expect_err("no such variant");
        assert_eq!(refusal.field, "direction");
        let shown = refusal.message.render(Lang::En);
        assert!(
            shown.contains("sideways") && !shown.contains(" sideways "),
            "{shown}"
        );
    }
}
