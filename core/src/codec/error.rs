//! Decode errors, decode warnings and the limits that bound decoding.

use serde::{Deserialize, Serialize};

/// Why a message could not be decoded. Each variant says where (byte offset or element path)
/// and what, so a log line is enough to find the fault in a capture.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes are not well-formed XML.
    #[error("malformed XML at byte {offset}: {message}")]
    Xml {
        /// Byte offset in the input.
        offset: usize,
        /// What the XML parser found.
        message: String,
    },
    /// The input uses an XML feature we refuse on principle (DTDs and entity declarations:
    /// they are the door to entity-expansion and external-entity attacks).
    #[error("refused {what} at byte {offset}")]
    Forbidden {
        /// The refused construct.
        what: &'static str,
        /// Byte offset in the input.
        offset: usize,
    },
    /// An entity reference other than the five predefined ones or a character reference.
    #[error("undefined entity '&{name};' at byte {offset} (only the predefined entities and character references are decoded)")]
    UndefinedEntity {
        /// The entity name.
        name: String,
        /// Byte offset in the input.
        offset: usize,
    },
    /// A configured [`DecodeLimits`] bound was exceeded.
    #[error("{limit} exceeded (limit {max}) at byte {offset}")]
    LimitExceeded {
        /// Name of the [`DecodeLimits`] field.
        limit: &'static str,
        /// Its value.
        max: usize,
        /// Byte offset in the input.
        offset: usize,
    },
    /// The document is XML but not a SOAP envelope we can read (no Envelope, no Body...).
    #[error("not a CWMP SOAP envelope: {message}")]
    NotSoap {
        /// What is missing or wrong.
        message: String,
    },
    /// A mandatory element is absent.
    #[error("missing element <{element}> in {path} (byte {offset})")]
    MissingElement {
        /// Path of the parent element.
        path: String,
        /// Byte offset of the parent element's start tag.
        offset: usize,
        /// Local name of the missing element.
        element: &'static str,
    },
    /// An element's text cannot be read as its type.
    #[error("invalid value in {path} (byte {offset}): expected {expected}, found {found:?}")]
    InvalidValue {
        /// Path of the element.
        path: String,
        /// Byte offset of the element's start tag.
        offset: usize,
        /// The expected type or form.
        expected: &'static str,
        /// The text found (truncated to 64 characters).
        found: String,
    },
    /// The Body holds an element that is no CWMP method we know.
    #[error("unknown CWMP method <{name}> in the SOAP Body")]
    UnknownMethod {
        /// Local name of the element.
        name: String,
    },
    /// The character encoding declared in the XML declaration is not one we decode.
    #[error(
        "unsupported character encoding {encoding:?} (UTF-8, US-ASCII and ISO-8859-1 are decoded)"
    )]
    UnsupportedEncoding {
        /// The declared encoding name.
        encoding: String,
    },
}

/// Bounds on what one decode may consume. Exceeding one is a [`DecodeError::LimitExceeded`],
/// never an allocation of the claimed size: array counts in `arrayType` are not trusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DecodeLimits {
    /// Largest input accepted, in bytes.
    pub max_total_bytes: usize,
    /// Deepest element nesting accepted (a CWMP envelope needs about 8).
    pub max_depth: usize,
    /// Most elements in one document.
    pub max_elements: usize,
    /// Longest text of one element, in bytes after entity decoding.
    pub max_string_len: usize,
    /// Most child elements of one element (so most items in one array).
    pub max_array_len: usize,
    /// Most warnings kept on one envelope (later ones are counted, not stored).
    pub max_warnings: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_total_bytes: 16 * 1024 * 1024,
            max_depth: 32,
            max_elements: 1_000_000,
            max_string_len: 1024 * 1024,
            max_array_len: 200_000,
            max_warnings: 256,
        }
    }
}

impl DecodeLimits {
    /// The defaults: 16 MiB, depth 32, 1,000,000 elements, 1 MiB strings, 200,000 items.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets [`DecodeLimits::max_total_bytes`].
    pub fn with_max_total_bytes(mut self, n: usize) -> Self {
        self.max_total_bytes = n;
        self
    }
    /// Sets [`DecodeLimits::max_depth`].
    pub fn with_max_depth(mut self, n: usize) -> Self {
        self.max_depth = n;
        self
    }
    /// Sets [`DecodeLimits::max_elements`].
    pub fn with_max_elements(mut self, n: usize) -> Self {
        self.max_elements = n;
        self
    }
    /// Sets [`DecodeLimits::max_string_len`].
    pub fn with_max_string_len(mut self, n: usize) -> Self {
        self.max_string_len = n;
        self
    }
    /// Sets [`DecodeLimits::max_array_len`].
    pub fn with_max_array_len(mut self, n: usize) -> Self {
        self.max_array_len = n;
        self
    }
}

/// Something the decoder accepted but had to interpret: kept on the envelope so that what is
/// ambiguous stays visible instead of being guessed silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecodeWarning {
    /// Element path the warning is about (slash-separated local names).
    pub path: String,
    /// What was found and what the decoder made of it.
    pub message: String,
}

impl std::fmt::Display for DecodeWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}
