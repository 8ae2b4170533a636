//! Result codes, their messages, the per-thread last error and the panic boundary.

use std::cell::RefCell;
use std::ffi::c_char;

/// The outcome of a femtocwmp call. 0 is success; 1xxx caller misuse; 2xxx decode errors;
/// 3xxx the peer broke the protocol.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum femtocwmp_result {
    /// Success.
    Ok = 0,
    /// A required pointer was NULL.
    NullParameter = 1001,
    /// The output buffer is too small; `*out_len` holds the size needed.
    InsufficientSize = 1002,
    /// An argument is out of range (an enum value, a length).
    InvalidParameter = 1003,
    /// Text input is not valid UTF-8.
    InvalidUtf8 = 1004,
    /// JSON input is not a valid message of the documented JSON form.
    InvalidJson = 1005,
    /// The call breaks a session rule (wrong state, unknown request id, invalid message);
    /// the session goes on.
    LocalProtocolError = 1006,
    /// A bug inside femtocwmp was caught at the boundary; the call had no effect.
    Panic = 1999,
    /// Malformed XML.
    DecodeXml = 2001,
    /// A DTD or entity declaration (refused by design).
    DecodeForbidden = 2002,
    /// An entity reference other than the predefined ones.
    DecodeUndefinedEntity = 2003,
    /// A decode limit was exceeded.
    DecodeLimitExceeded = 2004,
    /// XML but not a CWMP SOAP envelope.
    DecodeNotSoap = 2005,
    /// A mandatory element is missing.
    DecodeMissingElement = 2006,
    /// An element's text does not fit its type.
    DecodeInvalidValue = 2007,
    /// The Body holds an unknown method.
    DecodeUnknownMethod = 2008,
    /// Unsupported character encoding.
    DecodeUnsupportedEncoding = 2009,
    /// The peer broke a session rule; the session has ended (drain the outputs: the final
    /// reply and the `Ended` event are still there).
    RemoteProtocolError = 3001,
}

impl femtocwmp_result {
    fn text(self) -> &'static std::ffi::CStr {
        use femtocwmp_result::*;
        match self {
            Ok => c"success",
            NullParameter => c"a required pointer argument was NULL",
            InsufficientSize => c"output buffer too small (the size needed is in *out_len)",
            InvalidParameter => c"an argument is out of range",
            InvalidUtf8 => c"text input is not valid UTF-8",
            InvalidJson => c"JSON input is not a valid CWMP message",
            LocalProtocolError => c"the call breaks a session rule",
            Panic => c"internal error caught at the C boundary (a bug: please report it)",
            RemoteProtocolError => c"the peer broke a session rule",
            DecodeXml => c"malformed XML",
            DecodeForbidden => c"DTD or entity declaration refused",
            DecodeUndefinedEntity => c"undefined entity reference",
            DecodeLimitExceeded => c"decode limit exceeded",
            DecodeNotSoap => c"not a CWMP SOAP envelope",
            DecodeMissingElement => c"missing mandatory element",
            DecodeInvalidValue => c"invalid element value",
            DecodeUnknownMethod => c"unknown CWMP method",
            DecodeUnsupportedEncoding => c"unsupported character encoding",
        }
    }

    fn from_code(code: u32) -> Option<femtocwmp_result> {
        use femtocwmp_result::*;
        [
            Ok,
            NullParameter,
            InsufficientSize,
            InvalidParameter,
            InvalidUtf8,
            InvalidJson,
            LocalProtocolError,
            Panic,
            DecodeXml,
            DecodeForbidden,
            DecodeUndefinedEntity,
            DecodeLimitExceeded,
            DecodeNotSoap,
            DecodeMissingElement,
            DecodeInvalidValue,
            DecodeUnknownMethod,
            DecodeUnsupportedEncoding,
            RemoteProtocolError,
        ]
        .into_iter()
        .find(|r| *r as u32 == code)
    }
}

impl From<&femtocwmp::DecodeError> for femtocwmp_result {
    fn from(e: &femtocwmp::DecodeError) -> Self {
        use femtocwmp::DecodeError as D;
        match e {
            D::Xml { .. } => femtocwmp_result::DecodeXml,
            D::Forbidden { .. } => femtocwmp_result::DecodeForbidden,
            D::UndefinedEntity { .. } => femtocwmp_result::DecodeUndefinedEntity,
            D::LimitExceeded { .. } => femtocwmp_result::DecodeLimitExceeded,
            D::NotSoap { .. } => femtocwmp_result::DecodeNotSoap,
            D::MissingElement { .. } => femtocwmp_result::DecodeMissingElement,
            D::InvalidValue { .. } => femtocwmp_result::DecodeInvalidValue,
            D::UnknownMethod { .. } => femtocwmp_result::DecodeUnknownMethod,
            D::UnsupportedEncoding { .. } => femtocwmp_result::DecodeUnsupportedEncoding,
            _ => femtocwmp_result::DecodeXml,
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Records `detail` as the calling thread's last error and returns `code`.
pub(crate) fn fail(code: femtocwmp_result, detail: impl Into<String>) -> femtocwmp_result {
    LAST_ERROR.with(|e| *e.borrow_mut() = detail.into());
    code
}

/// Runs `f`, turning a panic into `FEMTOCWMP_RESULT_PANIC`.
pub(crate) fn boundary(f: impl FnOnce() -> femtocwmp_result) -> femtocwmp_result {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => fail(
            femtocwmp_result::Panic,
            "internal panic caught at the C boundary",
        ),
    }
}

/// A static, NUL-terminated description of a result code; unknown codes get a description
/// saying so. Never NULL; never free it.
#[no_mangle]
pub extern "C" fn femtocwmp_result_message(result: u32) -> *const c_char {
    match femtocwmp_result::from_code(result) {
        Some(r) => r.text().as_ptr(),
        None => c"unknown femtocwmp_result code".as_ptr(),
    }
}

/// Copies the detail of the calling thread's last failure (NUL-terminated) into `buf`.
/// `*out_len` receives the length without the NUL; if `buf_len` is too small, the result
/// is `FEMTOCWMP_RESULT_INSUFFICIENT_SIZE` and `*out_len` is the size needed, NUL included.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_last_error(
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> femtocwmp_result {
    boundary(|| {
        let text = LAST_ERROR.with(|e| e.borrow().clone());
        crate::codec::write_out(text.as_bytes(), buf.cast(), buf_len, out_len)
    })
}

/// The library version, a static NUL-terminated string such as
/// `"femtocwmp-c/0.1.0 femtocwmp/0.1.0"`. Never NULL; never free it.
#[no_mangle]
pub extern "C" fn femtocwmp_version() -> *const c_char {
    concat!(
        "femtocwmp-c/",
        env!("CARGO_PKG_VERSION"),
        " femtocwmp/",
        env!("CARGO_PKG_VERSION"),
        "\0"
    )
    .as_ptr()
    .cast()
}
