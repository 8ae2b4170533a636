//! The codec through JSON: decode XML to the core's JSON form, encode JSON to XML.

use crate::error::{boundary, fail, femtocwmp_result};

/// Copies `data` plus a NUL terminator into the caller's buffer.
pub(crate) fn write_out(
    data: &[u8],
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> femtocwmp_result {
    if out_len.is_null() {
        return fail(femtocwmp_result::NullParameter, "out_len is NULL");
    }
    let needed = data.len() + 1;
    if buf.is_null() || buf_len < needed {
        // SAFETY: out_len is non-NULL and, per the API contract, points to a writable size_t.
        unsafe { *out_len = needed };
        return fail(
            femtocwmp_result::InsufficientSize,
            format!("output needs {needed} bytes, buffer has {buf_len}"),
        );
    }
    // SAFETY: buf is non-NULL and the caller guarantees buf_len writable bytes; we write
    // needed <= buf_len bytes, from a slice that cannot overlap a caller buffer we never saw.
    unsafe {
        std::ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len());
        *buf.add(data.len()) = 0;
        *out_len = data.len();
    }
    femtocwmp_result::Ok
}

/// Borrows `len` bytes at `ptr` (NULL allowed when `len` is 0).
pub(crate) fn input<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], femtocwmp_result> {
    if ptr.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(fail(
            femtocwmp_result::NullParameter,
            "input pointer is NULL",
        ));
    }
    // SAFETY: ptr is non-NULL and the caller guarantees len readable bytes that stay valid
    // and unmodified for the duration of the call.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Decodes the CWMP message in `xml[0..xml_len]` and writes its JSON form, NUL-terminated,
/// to `out`. An empty input is the empty message (`"method":"Empty"`).
///
/// On success `*out_len` is the JSON length (without the NUL). If `out_cap` is too small
/// (or `out` is NULL, to ask for the size), the result is
/// `FEMTOCWMP_RESULT_INSUFFICIENT_SIZE` and `*out_len` is the capacity needed.
/// Decode failures return a 2xxx code; `femtocwmp_last_error` says where and why.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_decode_json(
    xml: *const u8,
    xml_len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> femtocwmp_result {
    boundary(|| {
        let bytes = match input(xml, xml_len) {
            Ok(b) => b,
            Err(e) => return e,
        };
        let env = match femtocwmp::decode(bytes) {
            Ok(env) => env,
            Err(e) => return fail(femtocwmp_result::from(&e), e.to_string()),
        };
        let json = serde_json::to_vec(&env).expect("envelopes always serialize");
        write_out(&json, out, out_cap, out_len)
    })
}

/// Encodes the envelope given in JSON form (`json[0..json_len]`, UTF-8) to XML in `out`,
/// NUL-terminated (the NUL is not part of the message). `*out_len` and the size query work
/// as for `femtocwmp_decode_json`. The empty message encodes to zero bytes.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_encode_json(
    json: *const u8,
    json_len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> femtocwmp_result {
    boundary(|| {
        let bytes = match input(json, json_len) {
            Ok(b) => b,
            Err(e) => return e,
        };
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => return fail(femtocwmp_result::InvalidUtf8, e.to_string()),
        };
        let env: femtocwmp::Envelope = match serde_json::from_str(text) {
            Ok(env) => env,
            Err(e) => return fail(femtocwmp_result::InvalidJson, e.to_string()),
        };
        write_out(&femtocwmp::encode(&env), out, out_cap, out_len)
    })
}
