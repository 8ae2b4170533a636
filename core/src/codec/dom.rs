//! A flat element tree built in one pass of quick-xml.
//!
//! CWMP messages are small trees whose children come in any order on the wire (real devices
//! reorder, omit and qualify elements), so the typed reader works on a tree rather than on the
//! event stream. Nodes hold byte ranges of the input (names, attributes and text are read from
//! it), and text is copied only when an entity reference splits it. Nodes have no lifetime, so
//! the node vector of a thread is reused from one decode to the next: decoding a message
//! allocates nothing for its tree. The limits bound the number of nodes, their depth and the
//! length of their text.

use std::cell::RefCell;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::error::{DecodeError, DecodeLimits};

/// Index of a node in the tree.
pub(crate) type NodeId = u32;
const NONE: NodeId = u32::MAX;

/// Marks a node's text as an entry of `Dom::owned` (in `text_len`; `text_start` is then
/// the entry's index).
const OWNED: u32 = 1 << 31;

/// One element of the tree: 36 bytes, written once when its start tag is read. The local
/// name is not located here but where it is compared (`is_named`, from the end of the name):
/// most names are read once or never.
#[derive(Clone, Copy)]
pub(crate) struct Node {
    /// Byte offset of the start tag (its `<`) in the input; the tag's content follows.
    offset: u32,
    /// Length of the start tag's content (name and attributes).
    tag_len: u32,
    name_len: u32,
    /// The character data: `text_len` bytes of the input from `text_start`, or, when
    /// `text_len` has the `OWNED` bit (text split by references or CDATA), the entry
    /// `text_start` of `Dom::owned`.
    text_start: u32,
    text_len: u32,
    parent: NodeId,
    first_child: NodeId,
    next_sibling: NodeId,
    /// Number of child elements.
    child_count: u32,
}

/// An element whose end tag has not been read yet.
struct Open {
    id: NodeId,
    /// Its last child so far, to link the next one to.
    last_child: NodeId,
}

thread_local! {
    /// The node vector of the last decode on this thread, kept for the next one.
    static SPARE_NODES: RefCell<Vec<Node>> = const { RefCell::new(Vec::new()) };
}

/// The most nodes a spare vector may keep between decodes (about 5 MB).
const SPARE_LIMIT: usize = 100_000;

/// The parsed tree of one document.
pub(crate) struct Dom<'a> {
    input: &'a [u8],
    nodes: Vec<Node>,
    owned: Vec<Vec<u8>>,
    /// The whole input as text, when it is valid UTF-8: validated once, so that texts are
    /// sliced from it instead of being validated one by one.
    whole: Option<&'a str>,
}

impl Drop for Dom<'_> {
    fn drop(&mut self) {
        let mut nodes = std::mem::take(&mut self.nodes);
        if nodes.capacity() <= SPARE_LIMIT {
            nodes.clear();
            SPARE_NODES.with(|s| {
                let mut spare = s.borrow_mut();
                if spare.capacity() < nodes.capacity() {
                    *spare = nodes;
                }
            });
        }
    }
}

impl<'a> Dom<'a> {
    /// Parses `input` (already UTF-8 or ASCII-compatible) into a tree, enforcing `limits`.
    pub fn parse(input: &'a [u8], limits: &DecodeLimits) -> Result<Dom<'a>, DecodeError> {
        // offsets and lengths are u32, and a text length must stay clear of the OWNED bit
        let most = OWNED as usize - 1;
        if input.len() > most {
            return Err(DecodeError::LimitExceeded {
                limit: "max_total_bytes",
                max: most,
                offset: 0,
            });
        }
        let mut reader = Reader::from_reader(input);
        reader.config_mut().check_end_names = true;
        reader.config_mut().expand_empty_elements = false;
        let nodes = SPARE_NODES.with(|s| std::mem::take(&mut *s.borrow_mut()));
        let mut dom = Dom {
            input,
            nodes,
            owned: Vec::new(),
            whole: None,
        };
        dom.nodes.reserve((input.len() / 48).min(1 << 16));
        let mut stack: Vec<Open> = Vec::with_capacity(16);
        let mut seen_root = false;
        loop {
            let offset = reader.buffer_position() as usize;
            // matched in place: neither the event nor a Result of the (large) error type is
            // moved per event
            match reader.read_event() {
                Ok(Event::Start(start)) => {
                    let id = dom.add_node(
                        &mut stack,
                        offset,
                        start.len(),
                        start.name().as_ref(),
                        limits,
                        &mut seen_root,
                    )?;
                    stack.push(Open {
                        id,
                        last_child: NONE,
                    });
                }
                Ok(Event::Empty(start)) => {
                    dom.add_node(
                        &mut stack,
                        offset,
                        start.len(),
                        start.name().as_ref(),
                        limits,
                        &mut seen_root,
                    )?;
                }
                Ok(Event::End(_)) => {
                    stack.pop();
                }
                Ok(Event::Text(text)) => {
                    if let Some(top) = stack.last() {
                        // Only leaves keep text: the whitespace between child elements is
                        // layout.
                        if top.last_child == NONE {
                            dom.append_text(top.id, offset, &text, limits)?;
                        }
                    } else if text.iter().any(|b| !b.is_ascii_whitespace()) {
                        return Err(DecodeError::Xml {
                            offset,
                            message: "text outside the root element".into(),
                        });
                    }
                }
                Ok(Event::CData(data)) => {
                    if let Some(top) = stack.last() {
                        dom.append_owned(top.id, &data, limits, offset)?;
                    }
                }
                Ok(Event::GeneralRef(reference)) => {
                    let resolved = resolve_reference(&reference, offset)?;
                    if let Some(top) = stack.last() {
                        let mut buf = [0u8; 4];
                        dom.append_owned(
                            top.id,
                            resolved.encode_utf8(&mut buf).as_bytes(),
                            limits,
                            offset,
                        )?;
                    }
                }
                Ok(Event::DocType(_)) => {
                    return Err(DecodeError::Forbidden {
                        what: "document type declaration (DTD)",
                        offset,
                    })
                }
                Ok(Event::Decl(_) | Event::PI(_) | Event::Comment(_)) => {}
                Ok(Event::Eof) => {
                    if let Some(open) = stack.last() {
                        let name = String::from_utf8_lossy(dom.qname(open.id)).into_owned();
                        return Err(DecodeError::Xml {
                            offset: input.len(),
                            message: format!("unexpected end of input inside <{name}>"),
                        });
                    }
                    if !seen_root {
                        return Err(DecodeError::Xml {
                            offset: input.len(),
                            message: "no root element".into(),
                        });
                    }
                    break;
                }
                Err(e) => return Err(xml_error(&reader, e)),
            }
        }
        dom.whole = std::str::from_utf8(input).ok();
        Ok(dom)
    }

    /// Appends a node for a start tag (at `offset`, content `tag_len` bytes) under the
    /// innermost open element.
    #[inline(always)]
    fn add_node(
        &mut self,
        stack: &mut [Open],
        offset: usize,
        tag_len: usize,
        name: &[u8],
        limits: &DecodeLimits,
        seen_root: &mut bool,
    ) -> Result<NodeId, DecodeError> {
        let limit =
            |limit: &'static str, max: usize| DecodeError::LimitExceeded { limit, max, offset };
        if stack.len() >= limits.max_depth {
            return Err(limit("max_depth", limits.max_depth));
        }
        if self.nodes.len() >= limits.max_elements {
            return Err(limit("max_elements", limits.max_elements));
        }
        let id = self.nodes.len() as NodeId;
        let parent = match stack.last_mut() {
            Some(open) => {
                let p = &mut self.nodes[open.id as usize];
                p.child_count += 1;
                if p.child_count as usize > limits.max_array_len {
                    return Err(limit("max_array_len", limits.max_array_len));
                }
                if open.last_child == NONE {
                    // the first child: text read so far was layout, not the element's value
                    p.first_child = id;
                    p.text_start = 0;
                    p.text_len = 0;
                } else {
                    self.nodes[open.last_child as usize].next_sibling = id;
                }
                open.last_child = id;
                open.id
            }
            None if *seen_root => {
                return Err(DecodeError::Xml {
                    offset,
                    message: "more than one root element".into(),
                })
            }
            None => {
                *seen_root = true;
                NONE
            }
        };
        self.nodes.push(Node {
            offset: offset as u32,
            tag_len: tag_len as u32,
            name_len: name.len() as u32,
            text_start: 0,
            text_len: 0,
            parent,
            first_child: NONE,
            next_sibling: NONE,
            child_count: 0,
        });
        Ok(id)
    }

    fn text_len(&self, id: NodeId) -> usize {
        let n = &self.nodes[id as usize];
        if n.text_len & OWNED == 0 {
            n.text_len as usize
        } else {
            self.owned[n.text_start as usize].len()
        }
    }

    /// Appends a piece of text that starts at `offset` in the input.
    #[inline(always)]
    fn append_text(
        &mut self,
        id: NodeId,
        offset: usize,
        piece: &[u8],
        limits: &DecodeLimits,
    ) -> Result<(), DecodeError> {
        let n = &mut self.nodes[id as usize];
        if n.text_len == 0 {
            // the common case: the whole text in one piece, kept as a span of the input
            if piece.len() > limits.max_string_len {
                return Err(DecodeError::LimitExceeded {
                    limit: "max_string_len",
                    max: limits.max_string_len,
                    offset,
                });
            }
            n.text_start = offset as u32;
            n.text_len = piece.len() as u32;
            return Ok(());
        }
        self.append_owned(id, piece, limits, offset)
    }

    /// Appends a piece that is not a slice of the input (a resolved reference, CDATA).
    fn append_owned(
        &mut self,
        id: NodeId,
        piece: &[u8],
        limits: &DecodeLimits,
        offset: usize,
    ) -> Result<(), DecodeError> {
        if self.text_len(id) + piece.len() > limits.max_string_len {
            return Err(DecodeError::LimitExceeded {
                limit: "max_string_len",
                max: limits.max_string_len,
                offset,
            });
        }
        let n = &mut self.nodes[id as usize];
        if n.text_len & OWNED != 0 {
            self.owned[n.text_start as usize].extend_from_slice(piece);
        } else {
            let (start, len) = (n.text_start as usize, n.text_len as usize);
            let mut v = self.input[start..start + len].to_vec();
            v.extend_from_slice(piece);
            n.text_start = self.owned.len() as u32;
            n.text_len = OWNED;
            self.owned.push(v);
        }
        Ok(())
    }

    /// The element's character data (entity references resolved).
    #[inline]
    pub fn text(&self, id: NodeId) -> &[u8] {
        let n = &self.nodes[id as usize];
        if n.text_len & OWNED == 0 {
            let start = n.text_start as usize;
            &self.input[start..start + n.text_len as usize]
        } else {
            &self.owned[n.text_start as usize]
        }
    }

    /// The element's character data as UTF-8, if it is (sliced from the input validated as a
    /// whole when possible).
    #[inline(always)]
    pub fn text_str(&self, id: NodeId) -> Option<&str> {
        let n = &self.nodes[id as usize];
        match self.whole {
            Some(whole) if n.text_len & OWNED == 0 => {
                let start = n.text_start as usize;
                whole.get(start..start + n.text_len as usize)
            }
            _ => std::str::from_utf8(self.text(id)).ok(),
        }
    }

    /// Number of child elements.
    #[inline]
    pub fn child_count(&self, id: NodeId) -> u32 {
        self.nodes[id as usize].child_count
    }

    #[inline]
    fn tag(&self, id: NodeId) -> &[u8] {
        let n = &self.nodes[id as usize];
        let start = n.offset as usize + 1;
        &self.input[start..start + n.tag_len as usize]
    }

    /// The qualified name of an element.
    #[inline]
    pub fn qname(&self, id: NodeId) -> &[u8] {
        &self.tag(id)[..self.nodes[id as usize].name_len as usize]
    }

    /// The root element.
    pub fn root(&self) -> NodeId {
        0
    }

    /// Local name (no prefix) of a node.
    #[inline]
    pub fn local_name(&self, id: NodeId) -> &[u8] {
        local(self.qname(id))
    }

    /// Whether a node's local name is `name` (any prefix or none); cheaper than comparing
    /// `local_name`, as the prefix need not be found.
    #[inline]
    pub fn is_named(&self, id: NodeId, name: &[u8]) -> bool {
        has_local_name(self.qname(id), name)
    }

    /// Child elements of a node, in document order.
    #[inline]
    pub fn children(&self, id: NodeId) -> Children<'_, 'a> {
        Children {
            dom: self,
            next: self.nodes[id as usize].first_child,
        }
    }

    /// The first child with the given local name.
    pub fn child(&self, id: NodeId, name: &[u8]) -> Option<NodeId> {
        self.children(id).find(|&c| self.is_named(c, name))
    }

    /// The raw value of the first attribute whose local name is `name` (any prefix).
    /// Values are not unescaped: the attributes CWMP reads (`xsi:type`, `arrayType`,
    /// `xmlns:*`) never need it.
    pub fn attr(&self, id: NodeId, name: &[u8]) -> Option<&[u8]> {
        self.attrs(id)
            .find(|(k, _)| has_local_name(k, name))
            .map(|(_, v)| v)
    }

    /// [`Dom::attr`], first trying the spelling almost every sender uses: `qualified="..."`
    /// as the first attribute after one space. The answer is the same either way; the
    /// spelled form is a few comparisons where the scan reads every byte.
    #[inline]
    pub fn attr_spelled(&self, id: NodeId, qualified: &[u8], local: &[u8]) -> Option<&[u8]> {
        let tag = self.tag(id);
        let rest = &tag[self.nodes[id as usize].name_len as usize..];
        if let Some(after) = rest
            .strip_prefix(b" ")
            .and_then(|r| r.strip_prefix(qualified))
            .and_then(|r| r.strip_prefix(b"=\""))
        {
            if let Some(end) = after.iter().position(|&b| b == b'"') {
                return Some(&after[..end]);
            }
        }
        self.attr(id, local)
    }

    /// Every attribute of a node as raw (key, value) pairs.
    pub fn attrs(&self, id: NodeId) -> impl Iterator<Item = (&[u8], &[u8])> {
        attributes(self.tag(id), self.nodes[id as usize].name_len as usize)
    }

    /// Byte offset of a node's start tag in the input.
    pub fn offset(&self, id: NodeId) -> usize {
        self.nodes[id as usize].offset as usize
    }

    /// Slash-separated path of local names from the root, for error messages.
    pub fn path(&self, id: NodeId) -> String {
        let mut names = Vec::new();
        let mut cur = id;
        while cur != NONE {
            names.push(String::from_utf8_lossy(self.local_name(cur)).into_owned());
            cur = self.nodes[cur as usize].parent;
        }
        names.reverse();
        names.join("/")
    }
}

/// Iterator over the child elements of a node.
pub(crate) struct Children<'d, 'a> {
    dom: &'d Dom<'a>,
    next: NodeId,
}

impl Iterator for Children<'_, '_> {
    type Item = NodeId;
    #[inline]
    fn next(&mut self) -> Option<NodeId> {
        if self.next == NONE {
            return None;
        }
        let id = self.next;
        self.next = self.dom.nodes[id as usize].next_sibling;
        Some(id)
    }
}

/// Scans the attributes of a start tag (`name k="v" k2='v2'`), tolerating junk: anything
/// that is not `key = quoted value` is skipped. Each step jumps to the next `=` and to the
/// closing quote with memchr (an Envelope's start tag carries a few hundred bytes of
/// namespace declarations), and reads the key back from the `=`.
fn attributes(raw: &[u8], name_len: usize) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut rest = raw.get(name_len..).unwrap_or_default();
    std::iter::from_fn(move || loop {
        let eq = memchr::memchr(b'=', rest)?;
        let before = rest[..eq].trim_ascii_end();
        let key_start = before
            .iter()
            .rposition(|b| b.is_ascii_whitespace())
            .map_or(0, |i| i + 1);
        let key = &before[key_start..];
        let after = rest[eq + 1..].trim_ascii_start();
        match after.first() {
            Some(&quote @ (b'"' | b'\'')) => {
                let body = &after[1..];
                let close = memchr::memchr(quote, body).unwrap_or(body.len());
                rest = body.get(close + 1..).unwrap_or_default();
                if !key.is_empty() {
                    return Some((key, &body[..close]));
                }
            }
            // `key=` with no quoted value: go on after the `=`
            _ => rest = after,
        }
    })
}

/// The part of a qualified name after its prefix and colon.
pub(crate) fn local(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// Whether the qualified name `qname` has the local name `local`, compared from the end.
#[inline]
fn has_local_name(qname: &[u8], local: &[u8]) -> bool {
    qname.ends_with(local)
        && (qname.len() == local.len() || qname[qname.len() - local.len() - 1] == b':')
}

/// The error for a token the reader refused, at the position it gives.
#[cold]
fn xml_error(reader: &Reader<&[u8]>, e: quick_xml::Error) -> DecodeError {
    DecodeError::Xml {
        offset: reader.error_position() as usize,
        message: e.to_string(),
    }
}

/// Resolves a character reference or one of the five predefined entities (XML 1.0 §4.1, §4.6).
/// Any other entity would need a DTD, which we refuse.
fn resolve_reference(
    reference: &quick_xml::events::BytesRef<'_>,
    offset: usize,
) -> Result<char, DecodeError> {
    match reference.resolve_char_ref() {
        Ok(Some(c)) => return Ok(c),
        Ok(None) => {}
        Err(e) => {
            return Err(DecodeError::Xml {
                offset,
                message: format!("invalid character reference: {e}"),
            })
        }
    }
    let name: &[u8] = reference;
    Ok(match name {
        b"amp" => '&',
        b"lt" => '<',
        b"gt" => '>',
        b"quot" => '"',
        b"apos" => '\'',
        other => {
            return Err(DecodeError::UndefinedEntity {
                name: String::from_utf8_lossy(other).into_owned(),
                offset,
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_child(xml: &str) -> (Dom<'_>, NodeId) {
        let dom = Dom::parse(xml.as_bytes(), &DecodeLimits::default()).unwrap();
        let c = dom.children(dom.root()).next().unwrap();
        (dom, c)
    }

    #[test]
    fn local_names_match_with_any_prefix_and_only_whole() {
        let (dom, c) = first_child("<r><cwmp:Name/><Name/><MyName/><a:b:Name/></r>");
        let names: Vec<bool> = dom
            .children(dom.root())
            .map(|c| dom.is_named(c, b"Name"))
            .collect();
        assert_eq!(names, [true, true, false, true]);
        assert_eq!(dom.local_name(c), b"Name");
        let last = dom.children(dom.root()).last().unwrap();
        assert_eq!(dom.local_name(last), b"Name");
    }

    #[test]
    fn spelled_attribute_lookup_answers_as_the_scan_does() {
        for tag in [
            r#"<Value xsi:type="xsd:string">"#,
            r#"<Value  xsi:type="xsd:int">"#,
            r#"<Value t:type='xsd:int'>"#,
            r#"<Value xsi:type = "xsd:boolean" other="1">"#,
            r#"<Value other="xsi:type=&quot;x" xsi:type="xsd:long">"#,
            r#"<Value xsi:typeX="a" type="b">"#,
            r#"<Value xsi:type="unterminated>"#,
            r#"<Value>"#,
        ] {
            let xml = format!("<r>{tag}v</Value></r>");
            let Ok(dom) = Dom::parse(xml.as_bytes(), &DecodeLimits::default()) else {
                continue;
            };
            let c = dom.children(dom.root()).next().unwrap();
            assert_eq!(
                dom.attr_spelled(c, b"xsi:type", b"type"),
                dom.attr(c, b"type"),
                "{tag}"
            );
        }
        let (dom, c) = first_child(r#"<r><Value xsi:type="xsd:int">1</Value></r>"#);
        assert_eq!(
            dom.attr_spelled(c, b"xsi:type", b"type"),
            Some(&b"xsd:int"[..])
        );
    }

    #[test]
    fn text_split_by_references_is_joined() {
        let (dom, c) = first_child("<r><a>x&amp;y&#65;<![CDATA[<z>]]></a></r>");
        assert_eq!(dom.text(c), b"x&yA<z>");
        assert_eq!(dom.text_str(c), Some("x&yA<z>"));
    }
}
