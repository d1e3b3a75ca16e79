//! One journal line: a JSON object sealed with the CRC-32 of its text, so that a line
//! changed after vanish wrote it (by hand, a tool or a failing disk) is found when it is
//! read back, rather than mixed into results.
//!
//! The checksum is the last field, `"crc32":"xxxxxxxx"` (eight lower-case hex digits), of
//! the CRC-32 (IEEE, as zip and PNG use: `crc32fast`) of the line without it. The line
//! stays one JSON object, readable by any JSON tool.
//!
//! ```
//! use vanish::sweep::journal::{seal, unseal};
//! let line = seal(r#"{"cell":0,"value":0.5}"#);
//! assert_eq!(line, r#"{"cell":0,"value":0.5,"crc32":"7520918e"}"#);
//! assert_eq!(unseal(&line).unwrap(), r#"{"cell":0,"value":0.5}"#);
//! assert!(unseal(&line.replace("0.5", "0.6")).is_err());
//! ```

/// The checksum's field, as it precedes its value.
const FIELD: &str = ",\"crc32\":\"";

/// The CRC-32 of `text`, as the line holds it.
fn crc(text: &str) -> String {
    format!("{:08x}", crc32fast::hash(text.as_bytes()))
}

/// `object` (the text of a JSON object with at least one field) with its checksum added
/// as its last field.
pub fn seal(object: &str) -> String {
    debug_assert!(object.starts_with('{') && object.ends_with('}') && object.len() > 2);
    let open = &object[..object.len() - 1];
    format!("{open}{FIELD}{}\"}}", crc(object))
}

/// The JSON object a sealed line holds (without its checksum), or what is wrong with the
/// line: no checksum, or one that does not match.
pub fn unseal(line: &str) -> Result<String, String> {
    let Some((open, rest)) = line.rsplit_once(FIELD) else {
        return Err("no checksum (a vanish journal line ends in \"crc32\":\"…\")".into());
    };
    let stated = rest
        .strip_suffix("\"}")
        .filter(|h| h.len() == 8 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .ok_or("no checksum (a vanish journal line ends in \"crc32\":\"…\")")?;
    let object = format!("{open}}}");
    if crc(&object) != stated {
        return Err(
            "its checksum does not match: the line was changed after vanish wrote it".into(),
        );
    }
    Ok(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_change_of_a_sealed_line_is_found() {
        let line = seal(r#"{"run":3,"records":["0,1.5,2"]}"#);
        assert!(unseal(&line).is_ok());
        for (at, _) in line.char_indices() {
            let mut bytes = line.clone().into_bytes();
            bytes[at] ^= 0x01;
            if let Ok(changed) = String::from_utf8(bytes) {
                assert!(unseal(&changed).is_err(), "{changed}");
            }
        }
        assert!(unseal(r#"{"run":3}"#).is_err());
        assert!(unseal("").is_err());
        assert!(unseal(&line[..line.len() - 1]).is_err());
    }
}
