//! A flat, borrowed element tree built in one pass of quick-xml.
//!
//! CWMP messages are small trees whose children come in any order on the wire (real devices
//! reorder, omit and qualify elements), so the typed reader works on a tree rather than on the
//! event stream. The tree borrows from the input: element names and attribute bytes are slices
//! of it, and text is copied only when an entity reference splits it. Every node costs one
//! `Vec` slot; the limits bound their number, their depth and the length of their text.

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::error::{DecodeError, DecodeLimits};

/// Index of a node in [`Dom::nodes`].
pub(crate) type NodeId = u32;
const NONE: NodeId = u32::MAX;

/// One element of the tree.
pub(crate) struct Node<'a> {
    /// The start tag, for the name and (lazily parsed) attributes.
    pub start: BytesStart<'a>,
    /// Concatenated character data directly inside the element (entity references resolved).
    pub text: Cow<'a, [u8]>,
    pub parent: NodeId,
    pub first_child: NodeId,
    last_child: NodeId,
    pub next_sibling: NodeId,
    /// Number of child elements.
    pub child_count: u32,
    /// Byte offset of the start tag in the input.
    pub offset: usize,
}

/// The parsed tree of one document.
pub(crate) struct Dom<'a> {
    pub nodes: Vec<Node<'a>>,
    /// The whole input, when it is valid UTF-8: validated once, so that borrowed texts are
    /// sliced from it instead of being validated one by one.
    whole: Option<(&'a [u8], &'a str)>,
}

impl<'a> Dom<'a> {
    /// Parses `input` (already UTF-8 or ASCII-compatible) into a tree, enforcing `limits`.
    pub fn parse(input: &'a [u8], limits: &DecodeLimits) -> Result<Dom<'a>, DecodeError> {
        let mut reader = Reader::from_reader(input);
        reader.config_mut().check_end_names = true;
        reader.config_mut().expand_empty_elements = false;
        let mut nodes: Vec<Node<'a>> = Vec::with_capacity((input.len() / 48).min(1 << 16));
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
                    let id = add_node(&mut nodes, &stack, start, offset, limits, &mut seen_root)?;
                    stack.push(id);
                }
                Event::Empty(start) => {
                    add_node(&mut nodes, &stack, start, offset, limits, &mut seen_root)?;
                }
                Event::End(_) => {
                    stack.pop();
                }
                Event::Text(text) => {
                    if let Some(&top) = stack.last() {
                        // Only leaves keep text: the whitespace between child elements is
                        // layout, and dropping it here avoids copying it around.
                        if nodes[top as usize].child_count == 0 {
                            append_text(
                                &mut nodes[top as usize],
                                text.into_inner(),
                                limits,
                                offset,
                            )?;
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
                        append_text(&mut nodes[top as usize], data.into_inner(), limits, offset)?;
                    }
                }
                Event::GeneralRef(reference) => {
                    let resolved = resolve_reference(&reference, offset)?;
                    if let Some(&top) = stack.last() {
                        let mut buf = [0u8; 4];
                        let bytes = resolved.encode_utf8(&mut buf).as_bytes().to_vec();
                        append_text(&mut nodes[top as usize], Cow::Owned(bytes), limits, offset)?;
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
                        let name = String::from_utf8_lossy(nodes[open as usize].start.name().0);
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
        let whole = std::str::from_utf8(input).ok().map(|s| (input, s));
        Ok(Dom { nodes, whole })
    }

    /// `bytes` as UTF-8, if valid. Bytes borrowed from an input already validated as a whole
    /// are sliced from it without a second validation.
    pub fn utf8<'s>(&'s self, bytes: &'s [u8]) -> Option<&'s str> {
        if let Some((input, text)) = self.whole {
            let start = (bytes.as_ptr() as usize).wrapping_sub(input.as_ptr() as usize);
            if start <= input.len() && bytes.len() <= input.len() - start {
                if let Some(s) = text.get(start..start + bytes.len()) {
                    return Some(s);
                }
            }
        }
        std::str::from_utf8(bytes).ok()
    }

    /// The root element.
    pub fn root(&self) -> NodeId {
        0
    }

    /// Local name (no prefix) of a node.
    pub fn local_name(&self, id: NodeId) -> &[u8] {
        local(self.nodes[id as usize].start.name().0)
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
        attributes(&self.nodes[id as usize].start)
            .find(|(k, _)| local(k) == name)
            .map(|(_, v)| v)
    }

    /// Every attribute of a node as raw (key, value) pairs.
    pub fn attrs(&self, id: NodeId) -> impl Iterator<Item = (&[u8], &[u8])> {
        attributes(&self.nodes[id as usize].start)
    }

    /// Byte offset of a node's start tag in the input.
    pub fn offset(&self, id: NodeId) -> usize {
        self.nodes[id as usize].offset
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
fn attributes<'t>(tag: &'t BytesStart<'_>) -> impl Iterator<Item = (&'t [u8], &'t [u8])> {
    let raw: &'t [u8] = tag;
    let mut i = tag.name().0.len();
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

/// Appends a node for a start tag under the innermost open element.
fn add_node<'a>(
    nodes: &mut Vec<Node<'a>>,
    stack: &[NodeId],
    start: BytesStart<'a>,
    offset: usize,
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
    if nodes.len() >= limits.max_elements {
        return Err(DecodeError::LimitExceeded {
            limit: "max_elements",
            max: limits.max_elements,
            offset,
        });
    }
    let id = nodes.len() as NodeId;
    let parent = stack.last().copied().unwrap_or(NONE);
    nodes.push(Node {
        start,
        text: Cow::Borrowed(&[]),
        parent,
        first_child: NONE,
        last_child: NONE,
        next_sibling: NONE,
        child_count: 0,
        offset,
    });
    if parent != NONE {
        let p = &mut nodes[parent as usize];
        p.child_count += 1;
        if p.child_count == 1 {
            p.text = Cow::Borrowed(&[]);
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
            nodes[prev as usize].next_sibling = id;
        }
    }
    Ok(id)
}

fn append_text<'a>(
    node: &mut Node<'a>,
    piece: Cow<'a, [u8]>,
    limits: &DecodeLimits,
    offset: usize,
) -> Result<(), DecodeError> {
    if node.text.len() + piece.len() > limits.max_string_len {
        return Err(DecodeError::LimitExceeded {
            limit: "max_string_len",
            max: limits.max_string_len,
            offset,
        });
    }
    if node.text.is_empty() {
        node.text = piece;
    } else {
        node.text.to_mut().extend_from_slice(&piece);
    }
    Ok(())
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
