//! Keyed, deterministic UID remapping.
//!
//! `new = "2.25." + decimal(u128 of the first 16 bytes of HMAC-SHA256(key, original))`, with the
//! UUID version (8) and variant bits set, so the value is a valid UUIDv8 under the `2.25` arc
//! (PS3.5 B.2), at most 44 characters. The same key gives the same UID on every machine, in every
//! run and in every shard of a batch; without the key the mapping cannot be computed, so a party
//! who knows an original UID cannot link the released data back.
//!
//! Not remapped: UIDs of the standard (`1.2.840.10008.*`: SOP classes, transfer syntaxes,
//! well-known frames of reference, coding schemes) and the values of class-UID attributes (see
//! [`is_class_uid_tag`]), which name a kind of object, not an instance.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The root of the standard's own UIDs, never remapped.
pub const STANDARD_UID_ROOT: &str = "1.2.840.10008.";

/// Our Implementation Class UID (0002,0012): SHA-256 of "us-dicomizer" as a UUIDv8 under
/// `2.25`. A constant, so it identifies the software, never a patient or a site.
pub fn implementation_class_uid() -> String {
    use sha2::Digest;
    let d = Sha256::digest(b"us-dicomizer implementation class");
    uuid_v8_uid(&d[..16])
}

fn uuid_v8_uid(bytes16: &[u8]) -> String {
    let mut b = [0u8; 16];
    b.copy_from_slice(&bytes16[..16]);
    b[6] = (b[6] & 0x0F) | 0x80; // UUID version 8
    b[8] = (b[8] & 0x3F) | 0x80; // RFC 9562 variant
    format!("2.25.{}", u128::from_be_bytes(b))
}

/// Implementation Version Name (0002,0013), at most 16 characters.
pub fn implementation_version_name() -> String {
    let mut s = format!("USDICOMIZER{}", env!("CARGO_PKG_VERSION"));
    s.truncate(16);
    s
}

/// True for a value that must not be remapped because the standard defines it.
pub fn is_standard_uid(uid: &str) -> bool {
    uid.starts_with(STANDARD_UID_ROOT) || uid == "1.2.840.10008"
}

/// True for attributes whose value is a class (not an instance) UID: never remapped, even when
/// the value is a private (vendor) class UID. Keyword ending in `ClassUID`, plus the Transfer
/// Syntax UID and a few dictionary-wide identifiers.
pub fn is_class_uid_tag(tag: u32) -> bool {
    matches!(
        tag,
        0x0000_0002 // AffectedSOPClassUID
            | 0x0000_0003 // RequestedSOPClassUID
            | 0x0002_0002 // MediaStorageSOPClassUID
            | 0x0002_0010 // TransferSyntaxUID
            | 0x0002_0012 // ImplementationClassUID (replaced by ours)
            | 0x0004_1510 // ReferencedSOPClassUIDInFile
            | 0x0004_1512 // ReferencedTransferSyntaxUIDInFile
            | 0x0004_151A // ReferencedRelatedGeneralSOPClassUIDInFile
            | 0x0008_0016 // SOPClassUID
            | 0x0008_001A // RelatedGeneralSOPClassUID
            | 0x0008_001B // OriginalSpecializedSOPClassUID
            | 0x0008_0062 // SOPClassesInStudy
            | 0x0008_010C // CodingSchemeUID
            | 0x0008_0117 // ContextUID
            | 0x0008_1150 // ReferencedSOPClassUID
    )
}

/// Keyed UID mapper. Cheap to clone; `map` allocates only the result.
#[derive(Clone)]
pub struct UidMapper {
    mac: HmacSha256,
}

impl UidMapper {
    /// A mapper for one project key (any length; an empty key is rejected by the key loader).
    pub fn new(key: &[u8]) -> Self {
        let mac = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
        UidMapper { mac }
    }

    /// The new UID for `original` (trailing NUL/space padding ignored). Standard UIDs are
    /// returned unchanged.
    pub fn map(&self, original: &str) -> String {
        let original = original.trim_end_matches(['\0', ' ']);
        if original.is_empty() || is_standard_uid(original) {
            return original.to_string();
        }
        let mut mac = self.mac.clone();
        mac.update(b"uid:");
        mac.update(original.as_bytes());
        let digest = mac.finalize().into_bytes();
        uuid_v8_uid(&digest[..16])
    }

    /// Maps a possibly multi-valued (backslash-separated) UI value.
    pub fn map_multi(&self, value: &str) -> String {
        if !value.contains('\\') {
            return self.map(value);
        }
        value
            .split('\\')
            .map(|v| self.map(v))
            .collect::<Vec<_>>()
            .join("\\")
    }
}

impl std::fmt::Debug for UidMapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UidMapper { key: <redacted> }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_keyed_and_valid() {
        let a = UidMapper::new(b"key-one");
        let b = UidMapper::new(b"key-two");
        let o = "1.2.826.0.1.3680043.2.1143.111111.1";
        let x = a.map(o);
        assert_eq!(x, a.map(o));
        assert_ne!(x, b.map(o));
        assert!(x.starts_with("2.25."));
        assert!(x.len() <= 44, "{x}");
        assert!(x[5..].bytes().all(|c| c.is_ascii_digit()));
        assert!(!x[5..].starts_with('0'));
        assert_eq!(a.map(o), a.map(&format!("{o}\0")));
        let u: u128 = x[5..].parse().unwrap();
        let uu = uuid::Uuid::from_u128(u);
        assert_eq!(uu.get_version_num(), 8);
    }

    #[test]
    fn standard_uids_kept() {
        let a = UidMapper::new(b"k");
        assert_eq!(
            a.map("1.2.840.10008.5.1.4.1.1.6.1"),
            "1.2.840.10008.5.1.4.1.1.6.1"
        );
        assert_eq!(a.map(""), "");
        assert!(is_class_uid_tag(0x0008_0016));
        assert!(!is_class_uid_tag(0x0008_0018));
        assert!(implementation_class_uid().len() <= 64);
        assert!(implementation_version_name().len() <= 16);
    }
}
