//! The canonical writer: compact XML, escaped text, no allocation beyond the output buffer.

/// Appends XML to a caller-owned buffer.
pub(crate) struct Writer<'b> {
    pub buf: &'b mut Vec<u8>,
}

/// Bytes that need escaping in text and attribute values: `&`, `<`, `>`, `"`, CR (kept as a
/// character reference so that it survives end-of-line normalisation) and the C0 controls
/// XML 1.0 forbids (replaced by U+FFFD, since no reference can carry them).
static NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = !(i == 0x09 || i == 0x0a);
        i += 1;
    }
    t[b'&' as usize] = true;
    t[b'<' as usize] = true;
    t[b'>' as usize] = true;
    t[b'"' as usize] = true;
    t
};

impl Writer<'_> {
    /// `<tag>`
    #[inline]
    pub fn open(&mut self, tag: &str) {
        self.buf.push(b'<');
        self.buf.extend_from_slice(tag.as_bytes());
        self.buf.push(b'>');
    }

    /// `</tag>`
    #[inline]
    pub fn close(&mut self, tag: &str) {
        self.buf.extend_from_slice(b"</");
        self.buf.extend_from_slice(tag.as_bytes());
        self.buf.push(b'>');
    }

    /// Raw markup, already well-formed.
    #[inline]
    pub fn raw(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
    }

    /// Escaped character data.
    #[inline]
    pub fn text(&mut self, s: &str) {
        let bytes = s.as_bytes();
        let mut last = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if NEEDS_ESCAPE[b as usize] {
                self.buf.extend_from_slice(&bytes[last..i]);
                let rep: &[u8] = match b {
                    b'&' => b"&amp;",
                    b'<' => b"&lt;",
                    b'>' => b"&gt;",
                    b'"' => b"&quot;",
                    b'\r' => b"&#13;",
                    _ => "\u{fffd}".as_bytes(),
                };
                self.buf.extend_from_slice(rep);
                last = i + 1;
            }
        }
        self.buf.extend_from_slice(&bytes[last..]);
    }

    /// `<tag>text</tag>`
    #[inline]
    pub fn element(&mut self, tag: &str, text: &str) {
        self.open(tag);
        self.text(text);
        self.close(tag);
    }

    /// `<tag>n</tag>` for an integer.
    #[inline]
    pub fn number(&mut self, tag: &str, n: impl itoa_like::Int) {
        self.open(tag);
        n.write(self.buf);
        self.close(tag);
    }
}

/// Integer formatting without going through `fmt` (the encode hot path writes many).
pub(crate) mod itoa_like {
    /// An integer the writer can format.
    pub trait Int: Copy {
        /// Appends the decimal form.
        fn write(self, buf: &mut Vec<u8>);
    }

    fn write_u64(mut n: u64, buf: &mut Vec<u8>) {
        let mut tmp = [0u8; 20];
        let mut i = tmp.len();
        loop {
            i -= 1;
            tmp[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        buf.extend_from_slice(&tmp[i..]);
    }

    impl Int for u32 {
        fn write(self, buf: &mut Vec<u8>) {
            write_u64(self as u64, buf)
        }
    }
    impl Int for u64 {
        fn write(self, buf: &mut Vec<u8>) {
            write_u64(self, buf)
        }
    }
    impl Int for i32 {
        fn write(self, buf: &mut Vec<u8>) {
            if self < 0 {
                buf.push(b'-');
            }
            write_u64(self.unsigned_abs() as u64, buf)
        }
    }
}
