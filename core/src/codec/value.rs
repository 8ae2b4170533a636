//! Parameter values: the text on the wire plus its `xsi:type`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::datetime::DateTime;

/// The XSD types a CWMP `Value` may declare with `xsi:type` (TR-069 A.2, TR-106 data types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum XsdType {
    /// `xsd:string`
    #[default]
    String,
    /// `xsd:int` (32-bit signed)
    Int,
    /// `xsd:unsignedInt` (32-bit unsigned)
    UnsignedInt,
    /// `xsd:long` (64-bit signed)
    Long,
    /// `xsd:unsignedLong` (64-bit unsigned)
    UnsignedLong,
    /// `xsd:boolean` (`0`, `1`, `true`, `false`)
    Boolean,
    /// `xsd:dateTime`
    DateTime,
    /// `xsd:base64Binary` (CWMP writes `xsd:base64`)
    Base64,
    /// `xsd:hexBinary`
    HexBinary,
}

impl XsdType {
    /// Every type, for tables and drift tests.
    pub const ALL: [XsdType; 9] = [
        XsdType::String,
        XsdType::Int,
        XsdType::UnsignedInt,
        XsdType::Long,
        XsdType::UnsignedLong,
        XsdType::Boolean,
        XsdType::DateTime,
        XsdType::Base64,
        XsdType::HexBinary,
    ];

    /// The local type name as written after `xsd:` on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            XsdType::String => "string",
            XsdType::Int => "int",
            XsdType::UnsignedInt => "unsignedInt",
            XsdType::Long => "long",
            XsdType::UnsignedLong => "unsignedLong",
            XsdType::Boolean => "boolean",
            XsdType::DateTime => "dateTime",
            XsdType::Base64 => "base64",
            XsdType::HexBinary => "hexBinary",
        }
    }

    /// The qualified name written in `xsi:type`. `base64` is SOAP-encoding's `soapenc:base64`
    /// (XML Schema itself has no `xsd:base64`, so a validator refuses that spelling).
    pub fn wire_qname(self) -> &'static str {
        match self {
            XsdType::String => "xsd:string",
            XsdType::Int => "xsd:int",
            XsdType::UnsignedInt => "xsd:unsignedInt",
            XsdType::Long => "xsd:long",
            XsdType::UnsignedLong => "xsd:unsignedLong",
            XsdType::Boolean => "xsd:boolean",
            XsdType::DateTime => "xsd:dateTime",
            XsdType::Base64 => "soapenc:base64",
            XsdType::HexBinary => "xsd:hexBinary",
        }
    }

    /// Reads a type name with or without prefix (`xsd:int`, `soapenc:string`, `int`).
    /// Matching is case-insensitive because devices write `xsd:unsignedint`.
    pub fn from_type_name(name: &str) -> Option<XsdType> {
        let local = name.rsplit(':').next().unwrap_or(name).trim();
        // the spellings the schemas use, without allocating
        match local {
            "string" => return Some(XsdType::String),
            "unsignedInt" => return Some(XsdType::UnsignedInt),
            "int" => return Some(XsdType::Int),
            "boolean" => return Some(XsdType::Boolean),
            "dateTime" => return Some(XsdType::DateTime),
            _ => {}
        }
        Some(match local.to_ascii_lowercase().as_str() {
            "string" | "anysimpletype" => XsdType::String,
            "int" | "integer" | "short" | "byte" => XsdType::Int,
            "unsignedint" | "unsignedshort" | "unsignedbyte" => XsdType::UnsignedInt,
            "long" => XsdType::Long,
            "unsignedlong" => XsdType::UnsignedLong,
            "boolean" | "bool" => XsdType::Boolean,
            "datetime" => XsdType::DateTime,
            "base64" | "base64binary" => XsdType::Base64,
            "hexbinary" => XsdType::HexBinary,
            _ => return None,
        })
    }

    /// Checks that `text` is a lexically valid value of this type.
    pub fn validate(self, text: &str) -> Result<(), ValueError> {
        if self == XsdType::String {
            // every text is a string; the common case skips the trim below
            return Ok(());
        }
        // XSD whitespace facet "collapse" (XML Schema 2, 4.3.6): only XML whitespace, which is
        // ASCII, surrounds a number, boolean or date
        let t = text.trim_ascii();
        let ok = match self {
            XsdType::String => true,
            XsdType::Int => t.parse::<i32>().is_ok(),
            XsdType::UnsignedInt => t.parse::<u32>().is_ok(),
            XsdType::Long => t.parse::<i64>().is_ok(),
            XsdType::UnsignedLong => t.parse::<u64>().is_ok(),
            XsdType::Boolean => matches!(t, "0" | "1" | "true" | "false"),
            XsdType::DateTime => DateTime::parse(t).is_ok(),
            XsdType::Base64 => is_base64(t),
            XsdType::HexBinary => t.len() % 2 == 0 && t.bytes().all(|b| b.is_ascii_hexdigit()),
        };
        if ok {
            Ok(())
        } else {
            Err(ValueError {
                xsd_type: self,
                text: truncate(text, 64),
            })
        }
    }
}

impl fmt::Display for XsdType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_base64(t: &str) -> bool {
    let mut n = 0usize;
    let mut pad = 0usize;
    for b in t.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' if pad == 0 => n += 1,
            b'=' => {
                pad += 1;
                n += 1
            }
            b' ' | b'\n' | b'\r' | b'\t' => {}
            _ => return false,
        }
    }
    n % 4 == 0 && pad <= 2
}

pub(crate) fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

/// A text that is not a valid value of its declared type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a valid xsd:{xsd_type}")]
pub struct ValueError {
    /// The declared type.
    pub xsd_type: XsdType,
    /// The offending text (truncated).
    pub text: String,
}

/// A parameter value: its wire text and its declared type.
///
/// The text is kept exactly as received, so a decoded message re-encodes unchanged (`"1"`
/// stays `"1"`, not `"true"`). Constructors validate, so a `Value` built in code is always
/// valid for its type; decoding is lenient and turns a value whose text does not match its
/// declared type into a string, with a warning on the envelope. [`Value::typed`] gives the
/// value as a Rust type.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Value {
    xsd_type: XsdType,
    text: String,
}

/// A [`Value`] as a Rust type.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TypedValue {
    /// `xsd:string`
    String(String),
    /// `xsd:int`
    Int(i32),
    /// `xsd:unsignedInt`
    UnsignedInt(u32),
    /// `xsd:long`
    Long(i64),
    /// `xsd:unsignedLong`
    UnsignedLong(u64),
    /// `xsd:boolean`
    Boolean(bool),
    /// `xsd:dateTime`
    DateTime(DateTime),
    /// `xsd:base64`, still encoded
    Base64(String),
    /// `xsd:hexBinary`, still encoded
    HexBinary(String),
}

impl Value {
    /// A value of `xsd_type` with wire text `text`, validated.
    pub fn new(xsd_type: XsdType, text: impl Into<String>) -> Result<Value, ValueError> {
        let text = text.into();
        xsd_type.validate(&text)?;
        Ok(Value { xsd_type, text })
    }

    /// Without validation: for the decoder, which has validated already.
    pub(crate) fn new_unchecked(xsd_type: XsdType, text: String) -> Value {
        Value { xsd_type, text }
    }

    /// An `xsd:string`.
    pub fn string(s: impl Into<String>) -> Value {
        Value {
            xsd_type: XsdType::String,
            text: s.into(),
        }
    }
    /// An `xsd:int`.
    pub fn int(n: i32) -> Value {
        Value::new_unchecked(XsdType::Int, n.to_string())
    }
    /// An `xsd:unsignedInt`.
    pub fn unsigned_int(n: u32) -> Value {
        Value::new_unchecked(XsdType::UnsignedInt, n.to_string())
    }
    /// An `xsd:long`.
    pub fn long(n: i64) -> Value {
        Value::new_unchecked(XsdType::Long, n.to_string())
    }
    /// An `xsd:unsignedLong`.
    pub fn unsigned_long(n: u64) -> Value {
        Value::new_unchecked(XsdType::UnsignedLong, n.to_string())
    }
    /// An `xsd:boolean`, written `true`/`false`.
    pub fn boolean(b: bool) -> Value {
        Value::new_unchecked(XsdType::Boolean, if b { "true" } else { "false" }.into())
    }
    /// An `xsd:dateTime`.
    pub fn date_time(t: &DateTime) -> Value {
        Value::new_unchecked(XsdType::DateTime, t.as_str().to_owned())
    }

    /// The declared type.
    pub fn xsd_type(&self) -> XsdType {
        self.xsd_type
    }
    /// The wire text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
    /// Consumes the value, giving its wire text.
    pub fn into_string(self) -> String {
        self.text
    }

    /// The value as a Rust type (its text is valid for its type by construction).
    pub fn typed(&self) -> TypedValue {
        let t = self.text.trim();
        let bad = "Value text is validated on construction";
        match self.xsd_type {
            XsdType::String => TypedValue::String(self.text.clone()),
            XsdType::Int => TypedValue::Int(t.parse().expect(bad)),
            XsdType::UnsignedInt => TypedValue::UnsignedInt(t.parse().expect(bad)),
            XsdType::Long => TypedValue::Long(t.parse().expect(bad)),
            XsdType::UnsignedLong => TypedValue::UnsignedLong(t.parse().expect(bad)),
            XsdType::Boolean => TypedValue::Boolean(matches!(t, "1" | "true")),
            XsdType::DateTime => TypedValue::DateTime(DateTime::parse(t).expect(bad)),
            XsdType::Base64 => TypedValue::Base64(t.to_owned()),
            XsdType::HexBinary => TypedValue::HexBinary(t.to_owned()),
        }
    }

    /// The value as a boolean, if its text is one (`0`, `1`, `true`, `false`), whatever
    /// its declared type.
    pub fn as_bool(&self) -> Option<bool> {
        match self.text.trim() {
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            _ => None,
        }
    }
    /// The value as a signed integer, if its text is one.
    pub fn as_i64(&self) -> Option<i64> {
        self.text.trim().parse().ok()
    }
    /// The value as an unsigned integer, if its text is one.
    pub fn as_u64(&self) -> Option<u64> {
        self.text.trim().parse().ok()
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({:?})", self.xsd_type, self.text)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::string(s)
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::string(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::boolean(b)
    }
}
impl From<u32> for Value {
    fn from(n: u32) -> Value {
        Value::unsigned_int(n)
    }
}
impl From<i32> for Value {
    fn from(n: i32) -> Value {
        Value::int(n)
    }
}
impl From<u64> for Value {
    fn from(n: u64) -> Value {
        Value::unsigned_long(n)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::long(n)
    }
}

/// One `ParameterValueStruct`: a parameter's full name and its value.
///
/// JSON form: `{"name": "Device.X", "type": "unsignedInt", "value": "1300"}` (`type` may be
/// omitted on input and defaults to `string`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ParameterValueStruct {
    /// Full parameter name, e.g. `Device.DeviceInfo.SoftwareVersion`.
    pub name: String,
    /// Its value.
    pub value: Value,
}

impl ParameterValueStruct {
    /// A name/value pair.
    pub fn new(name: impl Into<String>, value: impl Into<Value>) -> Self {
        ParameterValueStruct {
            name: name.into(),
            value: value.into(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct PvsJson {
    name: String,
    #[serde(rename = "type", default)]
    xsd_type: XsdType,
    value: String,
}

impl Serialize for ParameterValueStruct {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ParameterValueStruct", 3)?;
        st.serialize_field("name", &self.name)?;
        st.serialize_field("type", &self.value.xsd_type)?;
        st.serialize_field("value", &self.value.text)?;
        st.end()
    }
}

impl<'de> Deserialize<'de> for ParameterValueStruct {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let j = PvsJson::deserialize(d)?;
        let value = Value::new(j.xsd_type, j.value).map_err(serde::de::Error::custom)?;
        Ok(ParameterValueStruct {
            name: j.name,
            value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_may_be_padded_with_xml_whitespace_only() {
        // XML Schema 2, 4.3.6: the collapse facet of the non-string types
        assert!(XsdType::UnsignedInt.validate(" \t42\r\n").is_ok());
        assert!(XsdType::Boolean.validate(" true ").is_ok());
        assert!(XsdType::Int.validate("\u{a0}7").is_err());
        assert!(XsdType::String.validate("\u{a0}7").is_ok());
        assert_eq!(
            Value::new(XsdType::UnsignedInt, " 42 ").unwrap().typed(),
            TypedValue::UnsignedInt(42)
        );
    }

    #[test]
    fn constructors_validate() {
        assert!(Value::new(XsdType::Int, "-20").is_ok());
        assert!(Value::new(XsdType::Int, "4294967295").is_err());
        assert!(Value::new(XsdType::UnsignedInt, "-1").is_err());
        assert!(Value::new(XsdType::Boolean, "TRUE").is_err());
        assert!(Value::new(XsdType::HexBinary, "0a1").is_err());
        assert!(Value::new(XsdType::Base64, "aGVsbG8=").is_ok());
        assert!(Value::new(XsdType::Base64, "aGVsbG8").is_err());
    }

    #[test]
    fn typed_view() {
        assert_eq!(
            Value::new(XsdType::Boolean, "1").unwrap().typed(),
            TypedValue::Boolean(true)
        );
        assert_eq!(
            Value::unsigned_int(1300).typed(),
            TypedValue::UnsignedInt(1300)
        );
        assert_eq!(Value::string("x").as_bool(), None);
    }

    #[test]
    fn json_form_is_flat() {
        let p = ParameterValueStruct::new("Device.A", Value::unsigned_int(7));
        let j = serde_json::to_string(&p).unwrap();
        assert_eq!(j, r#"{"name":"Device.A","type":"unsignedInt","value":"7"}"#);
        let back: ParameterValueStruct = serde_json::from_str(&j).unwrap();
        assert_eq!(back, p);
        let untyped: ParameterValueStruct =
            serde_json::from_str(r#"{"name":"Device.B","value":"x"}"#).unwrap();
        assert_eq!(untyped.value, Value::string("x"));
        assert!(serde_json::from_str::<ParameterValueStruct>(
            r#"{"name":"Device.B","type":"int","value":"x"}"#
        )
        .is_err());
    }
}
