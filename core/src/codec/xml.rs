//! The `Xml` trait: how each CWMP type reads itself from the tree and writes itself out,
//! with the lenient rules in one place (absent fields, loose booleans, bad numbers).

use std::borrow::Cow;

use super::codes::{EventCode, FaultCode, FileType};
use super::datetime::DateTime;
use super::dom::{Dom, NodeId};
use super::error::{DecodeError, DecodeLimits, DecodeWarning};
use super::value::truncate;
use super::write::Writer;

/// Decoding state: the tree and the warnings gathered so far.
pub(crate) struct Ctx<'d, 'a> {
    pub dom: &'d Dom<'a>,
    pub warnings: Vec<DecodeWarning>,
    pub max_warnings: usize,
    pub dropped_warnings: usize,
}

impl<'d, 'a> Ctx<'d, 'a> {
    pub fn new(dom: &'d Dom<'a>, limits: &DecodeLimits) -> Self {
        Ctx {
            dom,
            warnings: Vec::new(),
            max_warnings: limits.max_warnings,
            dropped_warnings: 0,
        }
    }

    /// Records that the decoder interpreted something at `node`.
    pub fn warn(&mut self, node: NodeId, message: impl Into<String>) {
        if self.warnings.len() < self.max_warnings {
            let path = self.dom.path(node);
            self.warnings.push(DecodeWarning {
                path,
                message: message.into(),
            });
        } else {
            self.dropped_warnings += 1;
        }
    }

    /// The element's text as a string; bytes that are not UTF-8 are replaced (with a warning).
    #[inline(always)]
    pub fn text(&mut self, node: NodeId) -> String {
        match self.dom.text_str(node) {
            Some(s) => s.to_owned(),
            None => {
                let raw = self.dom.text(node);
                let s = String::from_utf8_lossy(raw).into_owned();
                self.warn(
                    node,
                    "text is not valid UTF-8; invalid bytes replaced by U+FFFD",
                );
                s
            }
        }
    }

    /// The element's text, trimmed, borrowed when possible.
    #[inline(always)]
    pub fn trimmed(&mut self, node: NodeId) -> Cow<'d, str> {
        let dom: &'d Dom<'a> = self.dom;
        let raw: &'d [u8] = dom.text(node);
        match dom.text_str(node) {
            Some(s) => {
                let padded = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_whitespace());
                if padded(raw.first()) || padded(raw.last()) {
                    Cow::Borrowed(s.trim())
                } else {
                    Cow::Borrowed(s)
                }
            }
            None => {
                self.warn(
                    node,
                    "text is not valid UTF-8; invalid bytes replaced by U+FFFD",
                );
                Cow::Owned(String::from_utf8_lossy(raw).trim().to_owned())
            }
        }
    }

    /// An error for text that cannot be read as `expected`.
    pub fn invalid(&self, node: NodeId, expected: &'static str, found: &str) -> DecodeError {
        DecodeError::InvalidValue {
            path: self.dom.path(node),
            offset: self.dom.offset(node),
            expected,
            found: truncate(found, 64),
        }
    }
}

/// A CWMP type that reads from an element and writes as one.
pub(crate) trait Xml: Sized {
    /// Reads the element `node`.
    fn read(cx: &mut Ctx<'_, '_>, node: NodeId) -> Result<Self, DecodeError>;

    /// The value to use when the element is absent from `parent`. The default is lenient: the
    /// type's default value, with a warning (real devices omit mandatory arguments).
    fn absent(cx: &mut Ctx<'_, '_>, parent: NodeId, name: &'static str) -> Result<Self, DecodeError>
    where
        Self: Default,
    {
        cx.warn(parent, format!("missing <{name}>; taken as empty/zero"));
        Ok(Self::default())
    }

    /// Writes `<tag>...</tag>`.
    fn write(&self, w: &mut Writer<'_>, tag: &str);
}

impl Xml for String {
    fn read(cx: &mut Ctx<'_, '_>, node: NodeId) -> Result<Self, DecodeError> {
        Ok(cx.text(node))
    }
    fn write(&self, w: &mut Writer<'_>, tag: &str) {
        w.element(tag, self);
    }
}

/// Integers: surrounding whitespace allowed (XSD collapses it); anything else is a warning and
/// zero, so that one bad counter does not lose a whole Inform.
macro_rules! xml_int {
    ($t:ty, $name:literal) => {
        impl Xml for $t {
            fn read(cx: &mut Ctx<'_, '_>, node: NodeId) -> Result<Self, DecodeError> {
                let t = cx.trimmed(node);
                match t.parse::<$t>() {
                    Ok(n) => Ok(n),
                    Err(_) => {
                        let msg = format!(
                            concat!("{:?} is not an ", $name, "; taken as 0"),
                            truncate(&t, 64)
                        );
                        cx.warn(node, msg);
                        Ok(0)
                    }
                }
            }
            fn write(&self, w: &mut Writer<'_>, tag: &str) {
                w.number(tag, *self);
            }
        }
    };
}
xml_int!(u32, "xsd:unsignedInt");
xml_int!(i32, "xsd:int");

impl Xml for bool {
    /// `0`, `1`, `true`, `false`; other spellings (`TRUE`, `True`) are accepted with a warning.
    fn read(cx: &mut Ctx<'_, '_>, node: NodeId) -> Result<Self, DecodeError> {
        let t = cx.trimmed(node);
        match &*t {
            "1" | "true" => Ok(true),
            "0" | "false" => Ok(false),
            other if other.eq_ignore_ascii_case("true") => {
                cx.warn(node, format!("boolean written {other:?}; taken as true"));
                Ok(true)
            }
            other if other.eq_ignore_ascii_case("false") => {
                cx.warn(node, format!("boolean written {other:?}; taken as false"));
                Ok(false)
            }
            other => {
                let msg = format!(
                    "{:?} is not an xsd:boolean; taken as false",
                    truncate(other, 64)
                );
                cx.warn(node, msg);
                Ok(false)
            }
        }
    }
    /// `1`/`0`: both are `xsd:boolean`, and the digits are what every CPE stack reads.
    fn write(&self, w: &mut Writer<'_>, tag: &str) {
        w.element(tag, if *self { "1" } else { "0" });
    }
}

impl Xml for DateTime {
    /// An unreadable time becomes the Unknown Time, with a warning that keeps the text.
    fn read(cx: &mut Ctx<'_, '_>, node: NodeId) -> Result<Self, DecodeError> {
        let t = cx.trimmed(node);
        match DateTime::parse(&t) {
            Ok(d) => Ok(d),
            Err(_) => {
                let msg = format!(
                    "{:?} is not an xsd:dateTime; taken as the Unknown Time",
                    truncate(&t, 64)
                );
                cx.warn(node, msg);
                Ok(DateTime::unknown())
            }
        }
    }
    fn write(&self, w: &mut Writer<'_>, tag: &str) {
        w.element(tag, self.as_str());
    }
}

impl Xml for EventCode {
    fn read(cx: &mut Ctx<'_, '_>, node: NodeId) -> Result<Self, DecodeError> {
        Ok(EventCode::from_wire(&cx.trimmed(node)))
    }
    fn write(&self, w: &mut Writer<'_>, tag: &str) {
        w.element(tag, self.as_str());
    }
}

impl Xml for FileType {
    fn read(cx: &mut Ctx<'_, '_>, node: NodeId) -> Result<Self, DecodeError> {
        Ok(FileType::from_wire(&cx.trimmed(node)))
    }
    fn write(&self, w: &mut Writer<'_>, tag: &str) {
        w.element(tag, self.as_str());
    }
}

impl Xml for FaultCode {
    /// A fault code that is not a number is an error, never a guess: 0 would read as success.
    fn read(cx: &mut Ctx<'_, '_>, node: NodeId) -> Result<Self, DecodeError> {
        let t = cx.trimmed(node);
        t.parse::<u32>()
            .map(FaultCode::from_code)
            .map_err(|_| cx.invalid(node, "a numeric fault code", &t))
    }
    fn absent(
        cx: &mut Ctx<'_, '_>,
        parent: NodeId,
        name: &'static str,
    ) -> Result<Self, DecodeError> {
        Err(missing(cx.dom, parent, name))
    }
    fn write(&self, w: &mut Writer<'_>, tag: &str) {
        w.number(tag, self.code());
    }
}

/// The error for a mandatory element `name` absent from `parent`.
pub(crate) fn missing(dom: &Dom<'_>, parent: NodeId, name: &'static str) -> DecodeError {
    DecodeError::MissingElement {
        path: dom.path(parent),
        offset: dom.offset(parent),
        element: name,
    }
}

/// Reads the child `name` of `parent`, or [`Xml::absent`] when there is none.
pub(crate) fn field<T: Xml + Default>(
    cx: &mut Ctx<'_, '_>,
    parent: NodeId,
    name: &'static str,
) -> Result<T, DecodeError> {
    match cx.dom.child(parent, name.as_bytes()) {
        Some(c) => T::read(cx, c),
        None => T::absent(cx, parent, name),
    }
}

/// Reads the child `name` of `parent`; its absence is an error.
pub(crate) fn required<T: Xml>(
    cx: &mut Ctx<'_, '_>,
    parent: NodeId,
    name: &'static str,
) -> Result<T, DecodeError> {
    match cx.dom.child(parent, name.as_bytes()) {
        Some(c) => T::read(cx, c),
        None => Err(missing(cx.dom, parent, name)),
    }
}

/// Reads the child `name` of `parent` if present.
pub(crate) fn optional<T: Xml>(
    cx: &mut Ctx<'_, '_>,
    parent: NodeId,
    name: &'static str,
) -> Result<Option<T>, DecodeError> {
    match cx.dom.child(parent, name.as_bytes()) {
        Some(c) => T::read(cx, c).map(Some),
        None => Ok(None),
    }
}

/// Reads every child named `name` (a repeated element, not a SOAP array).
pub(crate) fn repeated<T: Xml>(
    cx: &mut Ctx<'_, '_>,
    parent: NodeId,
    name: &'static str,
) -> Result<Vec<T>, DecodeError> {
    let dom = cx.dom;
    dom.children(parent)
        .filter(|&c| dom.is_named(c, name.as_bytes()))
        .map(|c| T::read(cx, c))
        .collect()
}

/// Reads the SOAP-encoded array `name` of `parent` (TR-069 A.2.1). Every child element is an
/// item, whatever its name (devices misspell item names); the `arrayType` count is checked
/// against the items found, and a mismatch is a warning, never an allocation.
pub(crate) fn array<T: Xml>(
    cx: &mut Ctx<'_, '_>,
    parent: NodeId,
    name: &'static str,
    item: &'static str,
) -> Result<Vec<T>, DecodeError> {
    let dom = cx.dom;
    let Some(arr) = dom.child(parent, name.as_bytes()) else {
        cx.warn(parent, format!("missing array <{name}>; taken as empty"));
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(dom.child_count(arr) as usize);
    let mut misnamed = false;
    for c in dom.children(arr) {
        if !dom.is_named(c, item.as_bytes()) {
            misnamed = true;
        }
        out.push(T::read(cx, c)?);
    }
    if misnamed {
        cx.warn(
            arr,
            format!("array items not all named <{item}>; read as such"),
        );
    }
    match dom.attr(arr, b"arrayType") {
        Some(at) => {
            if let Some(claimed) = array_count(at) {
                if claimed != out.len() {
                    cx.warn(
                        arr,
                        format!("arrayType claims {claimed} items, {} found", out.len()),
                    );
                }
            }
        }
        None if !out.is_empty() => cx.warn(arr, "array without soapenc:arrayType"),
        None => {}
    }
    Ok(out)
}

/// The count inside `type[count]`, if any.
fn array_count(at: &[u8]) -> Option<usize> {
    let open = at.iter().rposition(|&b| b == b'[')?;
    let close = at.iter().rposition(|&b| b == b']')?;
    std::str::from_utf8(at.get(open + 1..close)?)
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Writes a SOAP-encoded array: `<name soapenc:arrayType="type[n]"><item>...</item>...</name>`.
pub(crate) fn write_array<T: Xml>(
    w: &mut Writer<'_>,
    name: &str,
    item: &str,
    array_type: &str,
    items: &[T],
) {
    w.raw("<");
    w.raw(name);
    w.raw(" soapenc:arrayType=\"");
    w.raw(array_type);
    w.raw("[");
    super::write::itoa_like::Int::write(items.len() as u64, w.buf);
    w.raw("]\">");
    for it in items {
        it.write(w, item);
    }
    w.close(name);
}
