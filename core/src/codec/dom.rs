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

/// A node's character data.
#[derive(Clone, Copy)]
enum Text {
    /// `len` bytes of the input from `start`.
    Span { start: u32, len: u32 },
    /// An entry of `Dom::owned` (text split by references or CDATA).
    Owned(u32),
}

/// One element of the tree.
#[derive(Clone, Copy)]
pub(crate) struct Node {
    /// The start tag's content (name and attributes) in the input.
    tag_start: u32,
    tag_len: u32,
    name_len: u16,
    /// Where the local name starts within the name (after a prefix).
    local_off: u16,
    text: Text,
    parent: NodeId,
    first_child: NodeId,
    last_child: NodeId,
    next_sibling: NodeId,
    /// Number of child elements.
    child_count: u32,
    /// Byte offset of the start tag in the input.
    offset: u32,
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
        if input.len() > u32::MAX as usize {
            return Err(DecodeError::LimitExceeded {
                limit: "max_total_bytes",
                max: u32::MAX as usize,
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
        let mut stack: Vec<NodeId> = Vec::with_capacity(16);
        let mut seen_root = false;
        loop {
            let offset = reader.buffer_position() as usize;
            let event = reader.read_event().map_err(|e| DecodeError::Xml {
                offset: reader.error_position() as usize,
                message: e.to_string(),
            })?;
            match event {
                Event::Start(start) => {
                    let id = dom.add_node(
                        &stack,
                        offset,
                        start.len(),
                        start.name().as_ref(),
                        limits,
                        &mut seen_root,
                    )?;
                    stack.push(id);
                }
                Event::Empty(start) => {
                    dom.add_node(
                        &stack,
                        offset,
                        start.len(),
                        start.name().as_ref(),
                        limits,
                        &mut seen_root,
                    )?;
                }
                Event::End(_) => {
                    stack.pop();
                }
                Event::Text(text) => {
                    if let Some(&top) = stack.last() {
                        // Only leaves keep text: the whitespace between child elements is
                        // layout.
                        if dom.nodes[top as usize].child_count == 0 {
                            dom.append_text(top, offset, &text, limits)?;
                        }
                    } else if text.iter().any(|b| !b.is_ascii_whitespace()) {
                        return Err(DecodeError::Xml {
                            offset,
                            message: "text outside the root element".into(),
                        });
                    }
                }
                Event::CData(data) => {
                    if let Some(&top) = stack.last() {
                        dom.append_owned(top, &data, limits, offset)?;
                    }
                }
                Event::GeneralRef(reference) => {
                    let resolved = resolve_reference(&reference, offset)?;
                    if let Some(&top) = stack.last() {
                        let mut buf = [0u8; 4];
                        dom.append_owned(
                            top,
                            resolved.encode_utf8(&mut buf).as_bytes(),
                            limits,
                            offset,
                        )?;
                    }
                }
                Event::DocType(_) => {
                    return Err(DecodeError::Forbidden {
                        what: "document type declaration (DTD)",
                        offset,
                    })
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
                Event::Eof => {
                    if let Some(&open) = stack.last() {
                        let name = String::from_utf8_lossy(dom.qname(open)).into_owned();
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
            }
        }
        dom.whole = std::str::from_utf8(input).ok();
        Ok(dom)
    }

    /// Appends a node for a start tag (at `offset`, content `tag_len` bytes) under the
    /// innermost open element.
    fn add_node(
        &mut self,
        stack: &[NodeId],
        offset: usize,
        tag_len: usize,
        name: &[u8],
        limits: &DecodeLimits,
        seen_root: &mut bool,
    ) -> Result<NodeId, DecodeError> {
        if stack.is_empty() && *seen_root {
            return Err(DecodeError::Xml {
                offset,
                message: "more than one root element".into(),
            });
        }
        *seen_root = true;
        if stack.len() >= limits.max_depth {
            return Err(DecodeError::LimitExceeded {
                limit: "max_depth",
                max: limits.max_depth,
                offset,
            });
        }
        if self.nodes.len() >= limits.max_elements {
            return Err(DecodeError::LimitExceeded {
                limit: "max_elements",
                max: limits.max_elements,
                offset,
            });
        }
        if name.len() > u16::MAX as usize {
            return Err(DecodeError::LimitExceeded {
                limit: "max_string_len",
                max: u16::MAX as usize,
                offset,
            });
        }
        let id = self.nodes.len() as NodeId;
        let parent = stack.last().copied().unwrap_or(NONE);
        self.nodes.push(Node {
            tag_start: offset as u32 + 1,
            tag_len: tag_len as u32,
            name_len: name.len() as u16,
            local_off: memchr_colon(name).map_or(0, |i| i as u16 + 1),
            text: Text::Span { start: 0, len: 0 },
            parent,
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
            child_count: 0,
            offset: offset as u32,
        });
        if parent != NONE {
            let p = &mut self.nodes[parent as usize];
            p.child_count += 1;
            if p.child_count == 1 {
                p.text = Text::Span { start: 0, len: 0 };
            }
            if p.child_count as usize > limits.max_array_len {
                return Err(DecodeError::LimitExceeded {
                    limit: "max_array_len",
                    max: limits.max_array_len,
                    offset,
                });
            }
            let prev = p.last_child;
            p.last_child = id;
            if prev == NONE {
                p.first_child = id;
            } else {
                self.nodes[prev as usize].next_sibling = id;
            }
        }
        Ok(id)
    }

    fn text_len(&self, id: NodeId) -> usize {
        match self.nodes[id as usize].text {
            Text::Span { len, .. } => len as usize,
            Text::Owned(i) => self.owned[i as usize].len(),
        }
    }

    /// Appends a piece of text that starts at `offset` in the input.
    fn append_text(
        &mut self,
        id: NodeId,
        offset: usize,
        piece: &[u8],
        limits: &DecodeLimits,
    ) -> Result<(), DecodeError> {
        if self.text_len(id) == 0 && matches!(self.nodes[id as usize].text, Text::Span { .. }) {
            if piece.len() > limits.max_string_len {
                return Err(DecodeError::LimitExceeded {
                    limit: "max_string_len",
                    max: limits.max_string_len,
                    offset,
                });
            }
            self.nodes[id as usize].text = Text::Span {
                start: offset as u32,
                len: piece.len() as u32,
            };
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
        match self.nodes[id as usize].text {
            Text::Owned(i) => self.owned[i as usize].extend_from_slice(piece),
            Text::Span { start, len } => {
                let mut v = self.input[start as usize..(start + len) as usize].to_vec();
                v.extend_from_slice(piece);
                self.owned.push(v);
                self.nodes[id as usize].text = Text::Owned(self.owned.len() as u32 - 1);
            }
        }
        Ok(())
    }

    /// The element's character data (entity references resolved).
    pub fn text(&self, id: NodeId) -> &[u8] {
        match self.nodes[id as usize].text {
            Text::Span { start, len } => &self.input[start as usize..(start + len) as usize],
            Text::Owned(i) => &self.owned[i as usize],
        }
    }

    /// The element's character data as UTF-8, if it is (sliced from the input validated as a
    /// whole when possible).
    pub fn text_str(&self, id: NodeId) -> Option<&str> {
        match (self.nodes[id as usize].text, self.whole) {
            (Text::Span { start, len }, Some(whole)) => {
                whole.get(start as usize..(start + len) as usize)
            }
            _ => std::str::from_utf8(self.text(id)).ok(),
        }
    }

    /// Number of child elements.
    pub fn child_count(&self, id: NodeId) -> u32 {
        self.nodes[id as usize].child_count
    }

    fn tag(&self, id: NodeId) -> &[u8] {
        let n = &self.nodes[id as usize];
        &self.input[n.tag_start as usize..(n.tag_start + n.tag_len) as usize]
    }

    /// The qualified name of an element.
    pub fn qname(&self, id: NodeId) -> &[u8] {
        &self.tag(id)[..self.nodes[id as usize].name_len as usize]
    }

    /// The root element.
    pub fn root(&self) -> NodeId {
        0
    }

    /// Local name (no prefix) of a node.
    pub fn local_name(&self, id: NodeId) -> &[u8] {
        let n = &self.nodes[id as usize];
        &self.tag(id)[n.local_off as usize..n.name_len as usize]
    }

    /// Child elements of a node, in document order.
    pub fn children(&self, id: NodeId) -> Children<'_, 'a> {
        Children {
            dom: self,
            next: self.nodes[id as usize].first_child,
        }
    }

    /// The first child with the given local name.
    pub fn child(&self, id: NodeId, name: &[u8]) -> Option<NodeId> {
        self.children(id).find(|&c| self.local_name(c) == name)
    }

    /// The raw value of the first attribute whose local name is `name` (any prefix).
    /// Values are not unescaped: the attributes CWMP reads (`xsi:type`, `arrayType`,
    /// `xmlns:*`) never need it.
    pub fn attr(&self, id: NodeId, name: &[u8]) -> Option<&[u8]> {
        self.attrs(id)
            .find(|(k, _)| local(k) == name)
            .map(|(_, v)| v)
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
/// that is not `key = quoted value` is skipped.
fn attributes(raw: &[u8], name_len: usize) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut i = name_len;
    std::iter::from_fn(move || loop {
        while i < raw.len() && raw[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= raw.len() {
            return None;
        }
        let key_start = i;
        while i < raw.len() && raw[i] != b'=' && !raw[i].is_ascii_whitespace() {
            i += 1;
        }
        let key = &raw[key_start..i];
        while i < raw.len() && raw[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= raw.len() || raw[i] != b'=' {
            continue;
        }
        i += 1;
        while i < raw.len() && raw[i].is_ascii_whitespace() {
            i += 1;
        }
        let &quote = raw.get(i)?;
        if quote != b'"' && quote != b'\'' {
            continue;
        }
        i += 1;
        let value_start = i;
        while i < raw.len() && raw[i] != quote {
            i += 1;
        }
        let value = &raw[value_start..i.min(raw.len())];
        i += 1;
        return Some((key, value));
    })
}

/// The part of a qualified name after the colon.
pub(crate) fn local(name: &[u8]) -> &[u8] {
    match memchr_colon(name) {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

fn memchr_colon(name: &[u8]) -> Option<usize> {
    name.iter().position(|&b| b == b':')
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
