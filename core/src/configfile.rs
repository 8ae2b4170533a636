//! TS 32.594 configuration data files: what the HeMS serves for "configuration by file
//! download" (TS 32.593 5.1.2) and the HeNB parses and applies before it reports success.
//!
//! The shape seen in HeNB files: a `configDataFile` root (no namespace, or the 3GPP
//! `...32.594#configData` one), a `fileHeader` with `fileFormatVersion` and `vendorName`, one
//! or more `configData`, each with a `managedElement` (attributes `localDn`, `OUI`,
//! `ProductClass`, `swVersion`, `hwVersion`) and the data-model tree as nested elements —
//! `Device/Services/FAPService index="1"/CellConfig/LTE/RAN/RF/EARFCNDL` is the leaf
//! `Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.EARFCNDL` — and a `fileFooter`.
//! The tree may also sit inside `managedElement`; both are read. Booleans are written 0/1.
//! Parsing shares the codec's hardened reader: DTDs are refused and limits apply.

use serde::{Deserialize, Serialize};

use crate::codec::dom::{Dom, NodeId};
use crate::codec::{DateTime, DecodeError, DecodeLimits, XsdType};

/// The 3GPP namespace of configuration data files for the HeNB.
pub const CONFIG_DATA_NS: &str =
    "http://www.3gpp.org/ftp/specs/archive/32_series/32.594#configData";

/// The `managedElement` a `configData` block is for.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ManagedElement {
    /// `localDn`.
    pub local_dn: String,
    /// `OUI`.
    pub oui: String,
    /// `ProductClass`.
    pub product_class: String,
    /// `swVersion`.
    pub sw_version: String,
    /// `hwVersion`.
    pub hw_version: String,
}

/// A configuration data file: header facts and the parameter values it sets, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ConfigFile {
    /// `fileHeader/@fileFormatVersion`, e.g. `32.594 V14.0.0`.
    pub file_format_version: String,
    /// `fileHeader/@vendorName`.
    pub vendor_name: String,
    /// The managed element of the (first) `configData`.
    pub managed_element: ManagedElement,
    /// Full parameter names and their text values (typed by the data model that applies them).
    pub parameters: Vec<(String, String)>,
    /// `fileFooter/@dateTime`, if present.
    pub date_time: Option<String>,
}

/// Why a configuration file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigFileError {
    /// Not well-formed, a DTD, over a limit...
    #[error("configuration file unreadable: {0}")]
    Xml(#[from] DecodeError),
    /// Well-formed but not a configDataFile.
    #[error("not a TS 32.594 configDataFile: {0}")]
    Format(String),
}

fn attr(dom: &Dom<'_>, id: NodeId, name: &[u8]) -> String {
    dom.attr(id, name)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .unwrap_or_default()
}

impl ConfigFile {
    /// Parses a configDataFile.
    pub fn parse(bytes: &[u8]) -> Result<ConfigFile, ConfigFileError> {
        Self::parse_with(bytes, &DecodeLimits::default())
    }

    /// Parses with explicit limits.
    pub fn parse_with(bytes: &[u8], limits: &DecodeLimits) -> Result<ConfigFile, ConfigFileError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let start = bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(bytes.len());
        let dom = Dom::parse(&bytes[start..], limits)?;
        let root = dom.root();
        if dom.local_name(root) != b"configDataFile" {
            return Err(ConfigFileError::Format(format!(
                "the root element is <{}>",
                String::from_utf8_lossy(dom.local_name(root))
            )));
        }
        let mut file = ConfigFile::default();
        let mut blocks = 0;
        for c in dom.children(root) {
            match dom.local_name(c) {
                b"fileHeader" => {
                    file.file_format_version = attr(&dom, c, b"fileFormatVersion");
                    file.vendor_name = attr(&dom, c, b"vendorName");
                }
                b"fileFooter" => {
                    file.date_time = dom
                        .attr(c, b"dateTime")
                        .map(|v| String::from_utf8_lossy(v).into_owned())
                }
                b"configData" => {
                    blocks += 1;
                    for d in dom.children(c) {
                        match dom.local_name(d) {
                            b"managedElement" => {
                                if blocks == 1 {
                                    file.managed_element = ManagedElement {
                                        local_dn: attr(&dom, d, b"localDn"),
                                        oui: attr(&dom, d, b"OUI"),
                                        product_class: attr(&dom, d, b"ProductClass"),
                                        sw_version: attr(&dom, d, b"swVersion"),
                                        hw_version: attr(&dom, d, b"hwVersion"),
                                    };
                                }
                                for t in dom.children(d) {
                                    collect(&dom, t, String::new(), &mut file.parameters)?;
                                }
                            }
                            b"Modifier" => {}
                            _ => collect(&dom, d, String::new(), &mut file.parameters)?,
                        }
                    }
                }
                _ => {}
            }
        }
        if blocks == 0 {
            return Err(ConfigFileError::Format("no configData element".into()));
        }
        Ok(file)
    }

    /// Writes the file (UTF-8, in the 3GPP namespace). Parameters sharing a path prefix are
    /// grouped under one element per object; a numeric path component becomes the `index`
    /// attribute of the object before it.
    pub fn to_xml(&self) -> Vec<u8> {
        let mut out = String::with_capacity(256 + self.parameters.len() * 64);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(&format!("<configDataFile xmlns=\"{CONFIG_DATA_NS}\">\n"));
        out.push_str(&format!(
            "  <fileHeader fileFormatVersion=\"{}\" vendorName=\"{}\"/>\n",
            esc(&self.file_format_version),
            esc(&self.vendor_name)
        ));
        out.push_str("  <configData>\n");
        let m = &self.managed_element;
        out.push_str(&format!(
            "    <managedElement localDn=\"{}\" OUI=\"{}\" ProductClass=\"{}\" swVersion=\"{}\" hwVersion=\"{}\"/>\n",
            esc(&m.local_dn),
            esc(&m.oui),
            esc(&m.product_class),
            esc(&m.sw_version),
            esc(&m.hw_version)
        ));
        // open elements: (element name, index) per level
        let mut open: Vec<(String, Option<String>)> = Vec::new();
        for (name, value) in &self.parameters {
            let path = elements(name);
            let (leaf, objects) = path.split_last().expect("a parameter name has a leaf");
            let common = open
                .iter()
                .zip(objects)
                .take_while(|(a, b)| *a == *b)
                .count();
            while open.len() > common {
                let (n, _) = open.pop().expect("open element");
                out.push_str(&format!("{}</{n}>\n", "  ".repeat(open.len() + 2)));
            }
            for (n, index) in &objects[common..] {
                let idx = index
                    .as_ref()
                    .map(|i| format!(" index=\"{i}\""))
                    .unwrap_or_default();
                out.push_str(&format!("{}<{n}{idx}>\n", "  ".repeat(open.len() + 2)));
                open.push((n.clone(), index.clone()));
            }
            let pad = "  ".repeat(open.len() + 2);
            out.push_str(&format!(
                "{pad}<{n}>{v}</{n}>\n",
                n = leaf.0,
                v = esc(value)
            ));
        }
        while let Some((n, _)) = open.pop() {
            out.push_str(&format!("{}</{n}>\n", "  ".repeat(open.len() + 2)));
        }
        out.push_str("  </configData>\n");
        match &self.date_time {
            Some(t) => out.push_str(&format!("  <fileFooter dateTime=\"{}\"/>\n", esc(t))),
            None => out.push_str(&format!(
                "  <fileFooter dateTime=\"{}\"/>\n",
                DateTime::unknown()
            )),
        }
        out.push_str("</configDataFile>\n");
        out.into_bytes()
    }
}

/// Writes a boolean as the files do (0/1) and leaves other values as they are.
pub fn file_value(xsd_type: XsdType, text: &str) -> String {
    match (xsd_type, text) {
        (XsdType::Boolean, "true") => "1".into(),
        (XsdType::Boolean, "false") => "0".into(),
        _ => text.to_owned(),
    }
}

/// `Device.Services.FAPService.1.CellConfig.X` -> [(Device), (Services), (FAPService, 1),
/// (CellConfig), (X)].
fn elements(name: &str) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for part in name.split('.').filter(|p| !p.is_empty()) {
        if part.bytes().all(|b| b.is_ascii_digit()) {
            if let Some(last) = out.last_mut() {
                if last.1.is_none() {
                    last.1 = Some(part.to_owned());
                    continue;
                }
            }
        }
        out.push((part.to_owned(), None));
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn collect(
    dom: &Dom<'_>,
    id: NodeId,
    prefix: String,
    out: &mut Vec<(String, String)>,
) -> Result<(), ConfigFileError> {
    let local = dom.local_name(id);
    let name = std::str::from_utf8(local)
        .map_err(|_| ConfigFileError::Format("element name is not UTF-8".into()))?;
    let mut path = if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    };
    if let Some(index) = dom.attr(id, b"index") {
        let index = std::str::from_utf8(index).unwrap_or("").trim();
        if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigFileError::Format(format!(
                "{path}: index {index:?} is not an instance number"
            )));
        }
        path = format!("{path}.{index}");
    }
    if dom.child_count(id) == 0 {
        let text = dom
            .text_str(id)
            .ok_or_else(|| ConfigFileError::Format(format!("{path}: value is not UTF-8")))?;
        out.push((path, text.trim().to_owned()));
        return Ok(());
    }
    for c in dom.children(id) {
        collect(dom, c, path.clone(), out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<configDataFile xmlns="http://www.3gpp.org/ftp/specs/archive/32_series/32.594#configData">
  <fileHeader fileFormatVersion="32.594 V14.0.0" vendorName="Acme"/>
  <configData>
    <managedElement localDn="HeNB-1" OUI="00A0C6" ProductClass="FAP-LTE" swVersion="4.3" hwVersion="3.1"/>
    <Device><Services><FAPService index="1"><CellConfig><LTE><RAN>
      <RF><EARFCNDL>1300</EARFCNDL><EARFCNUL> 19300 </EARFCNUL></RF>
      <NeighborList><LTECell index="2"><PhyCellID>137</PhyCellID></LTECell></NeighborList>
    </RAN></LTE></CellConfig>
    <FAPControl><LTE><AdminState>1</AdminState></LTE></FAPControl>
    </FAPService></Services></Device>
  </configData>
  <fileFooter dateTime="2026-12-01T10:00:00Z"/>
</configDataFile>"#;

    #[test]
    fn parses_the_henb_shape() {
        let f = ConfigFile::parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(f.file_format_version, "32.594 V14.0.0");
        assert_eq!(f.managed_element.oui, "00A0C6");
        let p = "Device.Services.FAPService.1.";
        assert_eq!(
            f.parameters,
            vec![
                (
                    format!("{p}CellConfig.LTE.RAN.RF.EARFCNDL"),
                    "1300".to_owned()
                ),
                (
                    format!("{p}CellConfig.LTE.RAN.RF.EARFCNUL"),
                    "19300".to_owned()
                ),
                (
                    format!("{p}CellConfig.LTE.RAN.NeighborList.LTECell.2.PhyCellID"),
                    "137".to_owned()
                ),
                (format!("{p}FAPControl.LTE.AdminState"), "1".to_owned()),
            ]
        );
        assert_eq!(f.date_time.as_deref(), Some("2026-12-01T10:00:00Z"));
    }

    #[test]
    fn writes_what_it_reads() {
        let f = ConfigFile::parse(SAMPLE.as_bytes()).unwrap();
        let again = ConfigFile::parse(&f.to_xml()).unwrap();
        assert_eq!(again, f);
        let odd = ConfigFile {
            parameters: vec![
                ("Device.A.B".into(), "x<&>\"y".into()),
                ("Device.A.2.C".into(), "".into()),
            ],
            ..ConfigFile::default()
        };
        assert_eq!(
            ConfigFile::parse(&odd.to_xml()).unwrap().parameters,
            odd.parameters
        );
    }

    #[test]
    fn bad_files_are_refused() {
        assert!(matches!(
            ConfigFile::parse(b"<configDataFile><configData>"),
            Err(ConfigFileError::Xml(_))
        ));
        let dtd = b"<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><configDataFile>&e;</configDataFile>";
        assert!(matches!(
            ConfigFile::parse(dtd),
            Err(ConfigFileError::Xml(DecodeError::Forbidden { .. }))
        ));
        assert!(matches!(
            ConfigFile::parse(b"<html/>"),
            Err(ConfigFileError::Format(_))
        ));
        assert!(matches!(
            ConfigFile::parse(b"<configDataFile/>"),
            Err(ConfigFileError::Format(_))
        ));
        let bad_index = b"<configDataFile><configData><X index=\"a\"><Y>1</Y></X></configData></configDataFile>";
        assert!(matches!(
            ConfigFile::parse(bad_index),
            Err(ConfigFileError::Format(_))
        ));
    }
}
