//! Installations: the ERP side of a binding.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;
use crate::text::{check_ascii, check_text, string_newtype};

string_newtype! {
    /// Stable, unique identifier of one ERP installation.
    ///
    /// One installation may span several machines (application servers, a
    /// database server); they all present the same id. Hosts either supply
    /// their own id or derive one from identity components with
    /// [`InstallationId::derive`], which makes a database cloned onto another
    /// server a different installation.
    ///
    /// Accepted: 1 to 128 characters among ASCII letters, digits, `-`, `_`,
    /// `.` and `:`.
    InstallationId, "installation_id"
}

impl InstallationId {
    /// Largest length accepted.
    pub const MAX_LEN: usize = 128;

    /// Validates a host-supplied installation id.
    pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
        check_ascii(
            value.into(),
            "installation_id",
            Self::MAX_LEN,
            |b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'),
            "ASCII letters, digits, '-', '_', '.', ':'",
        )
        .map(Self)
    }

    /// Derives an id from the components that identify an installation.
    ///
    /// The components are normalised (trimmed, lower-cased) and hashed with
    /// SHA-256 together with the ERP line, so the id is stable across restarts
    /// and application servers but changes when the database is copied to
    /// another server or renamed: a cloned test copy must never silently use
    /// production's binding.
    ///
    /// ```
    /// use smartlink_core::{ErpLine, IdentityComponents, InstallationId};
    /// let prod = IdentityComponents::new("dbsrv01", "PROTHEUS_PRD", "LIC-123");
    /// let copy = IdentityComponents::new("dbsrv-test", "PROTHEUS_PRD", "LIC-123");
    /// let a = InstallationId::derive(ErpLine::Protheus, &prod).unwrap();
    /// let b = InstallationId::derive(ErpLine::Protheus, &copy).unwrap();
    /// assert_ne!(a, b);
    /// assert_eq!(a, InstallationId::derive(ErpLine::Protheus, &prod).unwrap());
    /// ```
    pub fn derive(line: ErpLine, components: &IdentityComponents) -> Result<Self, ValidationError> {
        let parts = [
            ("database_server", components.database_server.as_str()),
            ("database_name", components.database_name.as_str()),
            ("instance_id", components.instance_id.as_str()),
        ];
        let mut hasher = ring::digest::Context::new(&ring::digest::SHA256);
        hasher.update(b"smartlink-installation-v1\0");
        hasher.update(line.as_str().as_bytes());
        for (component, value) in parts {
            let normalized = value.trim().to_lowercase();
            if normalized.is_empty() {
                return Err(ValidationError::MissingIdentityComponent { component });
            }
            hasher.update(&[0u8]);
            hasher.update(&(normalized.len() as u64).to_be_bytes());
            hasher.update(normalized.as_bytes());
        }
        let digest = hasher.finish();
        let hex: String = digest.as_ref()[..16].iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self(format!("sl-{}-{hex}", line.as_str())))
    }
}

/// What identifies an installation's data: where its database lives, what it
/// is called, and the license or instance id of the ERP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityComponents {
    /// Host name (or address) of the database server.
    pub database_server: String,
    /// Name of the database (or schema) on that server.
    pub database_name: String,
    /// License or instance id of the ERP installation.
    pub instance_id: String,
}

impl IdentityComponents {
    /// Groups the three components.
    pub fn new(
        database_server: impl Into<String>,
        database_name: impl Into<String>,
        instance_id: impl Into<String>,
    ) -> Self {
        Self {
            database_server: database_server.into(),
            database_name: database_name.into(),
            instance_id: instance_id.into(),
        }
    }
}

string_newtype! {
    /// Friendly name identifying an installation to people: 1 to 80
    /// characters after trimming, no control characters.
    InstallationName, "installation_name"
}

impl InstallationName {
    /// Largest length accepted, in characters.
    pub const MAX_CHARS: usize = 80;

    /// Trims and validates a name.
    pub fn new(value: impl AsRef<str>) -> Result<Self, ValidationError> {
        check_text(value.as_ref(), "installation_name", Self::MAX_CHARS).map(Self)
    }
}

macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $field:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $wire)] $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as the platform contract spells it.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire,)+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(ValidationError::UnknownVariant {
                        field: $field,
                        expected: concat!($($wire, " "),+),
                    }),
                }
            }
        }
    };
}

wire_enum! {
    /// The TOTVS ERP line of an installation.
    ErpLine, "line" {
        /// Protheus.
        Protheus = "protheus",
        /// RM.
        Rm = "rm",
        /// Datasul.
        Datasul = "datasul",
    }
}

impl ErpLine {
    /// The product name as people write it.
    pub fn display_name(self) -> &'static str {
        match self {
            ErpLine::Protheus => "Protheus",
            ErpLine::Rm => "RM",
            ErpLine::Datasul => "Datasul",
        }
    }
}

wire_enum! {
    /// The kind of an installation or environment. An installation binds only
    /// to an environment of its own kind (rule R3).
    Kind, "kind" {
        /// Produção.
        Production = "production",
        /// Homologação.
        Homologation = "homologation",
        /// Desenvolvimento.
        Development = "development",
        /// Customizado.
        Custom = "custom",
    }
}

impl Kind {
    /// The Portuguese label the configurator shows.
    pub fn label_pt(self) -> &'static str {
        match self {
            Kind::Production => "Produção",
            Kind::Homologation => "Homologação",
            Kind::Development => "Desenvolvimento",
            Kind::Custom => "Customizado",
        }
    }
}

/// One ERP installation: who asks to be bound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installation {
    /// Its stable id.
    pub id: InstallationId,
    /// Its friendly name.
    pub name: InstallationName,
    /// Its ERP line.
    pub line: ErpLine,
    /// Its kind.
    pub kind: Kind,
}

impl Installation {
    /// Groups validated parts into an installation.
    pub fn new(id: InstallationId, name: InstallationName, line: ErpLine, kind: Kind) -> Self {
        Self {
            id,
            name,
            line,
            kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installation_name_length_counts_characters_after_nfc() {
        let nfc = "é".repeat(80);
        let nfd = "e\u{0301}".repeat(80);
        assert_eq!(InstallationName::new(&nfc).unwrap().as_str(), nfc);
        assert_eq!(
            InstallationName::new(&nfd).unwrap().as_str(),
            nfc,
            "kept in NFC"
        );
        assert!(InstallationName::new("e\u{0301}".repeat(81)).is_err());
    }

    #[test]
    fn installation_id_rejects_empty_long_and_odd_characters() {
        assert!(matches!(
            InstallationId::new(""),
            Err(ValidationError::Empty { .. })
        ));
        assert!(matches!(
            InstallationId::new("a".repeat(129)),
            Err(ValidationError::TooLong { .. })
        ));
        assert!(matches!(
            InstallationId::new("a b"),
            Err(ValidationError::InvalidCharacter { .. })
        ));
        assert!(InstallationId::new("prd-01:erp.main_1").is_ok());
    }

    #[test]
    fn derived_id_changes_when_the_database_is_cloned() {
        let prod = IdentityComponents::new("db01", "P12", "LIC");
        let clone = IdentityComponents::new("db02", "P12", "LIC");
        let a = InstallationId::derive(ErpLine::Protheus, &prod).unwrap();
        assert_ne!(
            a,
            InstallationId::derive(ErpLine::Protheus, &clone).unwrap()
        );
        assert_ne!(a, InstallationId::derive(ErpLine::Rm, &prod).unwrap());
        // Case and surrounding spaces do not make another installation.
        let same = IdentityComponents::new(" DB01 ", "p12", "lic");
        assert_eq!(a, InstallationId::derive(ErpLine::Protheus, &same).unwrap());
        assert!(InstallationId::new(a.as_str()).is_ok());
    }

    #[test]
    fn derived_id_components_cannot_be_shifted_between_fields() {
        let a = IdentityComponents::new("ab", "c", "d");
        let b = IdentityComponents::new("a", "bc", "d");
        assert_ne!(
            InstallationId::derive(ErpLine::Rm, &a).unwrap(),
            InstallationId::derive(ErpLine::Rm, &b).unwrap()
        );
        assert!(matches!(
            InstallationId::derive(ErpLine::Rm, &IdentityComponents::new("x", " ", "y")),
            Err(ValidationError::MissingIdentityComponent {
                component: "database_name"
            })
        ));
    }

    #[test]
    fn installation_name_is_trimmed_and_bounded() {
        assert_eq!(
            InstallationName::new("  Filial SP ").unwrap().as_str(),
            "Filial SP"
        );
        assert!(InstallationName::new("   ").is_err());
        assert!(InstallationName::new("é".repeat(80)).is_ok());
        assert!(InstallationName::new("é".repeat(81)).is_err());
        assert!(matches!(
            InstallationName::new("a\nb"),
            Err(ValidationError::ControlCharacter { .. })
        ));
    }

    #[test]
    fn enums_parse_the_contract_spelling() {
        assert_eq!("RM".parse::<ErpLine>().unwrap(), ErpLine::Rm);
        assert_eq!("homologation".parse::<Kind>().unwrap(), Kind::Homologation);
        assert!("prod".parse::<Kind>().is_err());
        assert_eq!(serde_json::to_string(&Kind::Custom).unwrap(), "\"custom\"");
        assert_eq!(Kind::Development.label_pt(), "Desenvolvimento");
    }

    #[test]
    fn deserialization_validates() {
        assert!(serde_json::from_str::<InstallationName>("\"\"").is_err());
        assert!(serde_json::from_str::<InstallationId>("\"a/b\"").is_err());
    }
}
