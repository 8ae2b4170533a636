//! The HeNB's typed parameter data model: names, types, writability, reboot-needed flags,
//! notification attributes, multi-instance tables; with the TR-069 RPC semantics applied
//! to it (atomic SetParameterValues, partial paths, GetParameterNames levels).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::codec::{
    Fault, FaultCode, ParameterAttributeStruct, ParameterInfoStruct, ParameterValueStruct,
    SetParameterAttributesStruct, SetParameterValuesFault, Value, XsdType,
};

/// How a parameter's active notification may be changed (TR-106 `activeNotify`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ActiveNotify {
    /// The ACS sets it freely.
    #[default]
    Normal,
    /// Always active; SetParameterAttributes cannot turn it off (e.g. SoftwareVersion).
    ForceEnabled,
    /// Active by default; the ACS may turn it off (e.g. FAP.Tunnel.IKESA.{i}.IPAddress).
    ForceDefaultEnabled,
    /// The CPE may refuse active notification (9009).
    CanDeny,
}

/// One parameter of the data model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Param {
    /// Its type.
    pub xsd_type: XsdType,
    /// Its value, as wire text valid for the type.
    pub value: String,
    /// Whether SetParameterValues may change it.
    pub writable: bool,
    /// Whether a change only takes effect after a reboot (SetParameterValues then answers
    /// Status 1).
    pub reboot_required: bool,
    /// 0 off, 1 passive, 2 active.
    pub notification: i32,
    /// Who else may write it ("Subscriber").
    pub access_list: Vec<String>,
    /// Always in the Inform's ParameterList (TR-069 forced-inform parameters).
    pub forced_inform: bool,
    /// What SetParameterAttributes may do to its notification.
    pub active_notify: ActiveNotify,
    /// For strings: maximum length in characters.
    pub max_len: Option<usize>,
    /// For strings: the allowed values, if enumerated.
    pub allowed: Option<Vec<String>>,
    /// For numbers: inclusive range.
    pub range: Option<(i64, i64)>,
}

impl Default for Param {
    fn default() -> Self {
        Param {
            xsd_type: XsdType::String,
            value: String::new(),
            writable: false,
            reboot_required: false,
            notification: 0,
            access_list: Vec::new(),
            forced_inform: false,
            active_notify: ActiveNotify::Normal,
            max_len: None,
            allowed: None,
            range: None,
        }
    }
}

impl Param {
    /// A read-only parameter.
    pub fn read_only(xsd_type: XsdType, value: impl Into<String>) -> Param {
        Param {
            xsd_type,
            value: value.into(),
            ..Param::default()
        }
    }

    /// A writable parameter.
    pub fn writable(xsd_type: XsdType, value: impl Into<String>) -> Param {
        Param {
            writable: true,
            ..Param::read_only(xsd_type, value)
        }
    }

    /// The value as a codec [`Value`].
    pub fn as_value(&self) -> Value {
        Value::new(self.xsd_type, self.value.clone())
            .unwrap_or_else(|_| Value::string(self.value.clone()))
    }

    /// Why `text` cannot be this parameter's value (the fault code to report), if it cannot.
    pub fn check_value(&self, text: &str) -> Result<(), FaultCode> {
        self.xsd_type
            .validate(text)
            .map_err(|_| FaultCode::InvalidParameterValue)?;
        if let Some(max) = self.max_len {
            if text.chars().count() > max {
                return Err(FaultCode::InvalidParameterValue);
            }
        }
        if let Some(allowed) = &self.allowed {
            if !allowed.iter().any(|a| a == text) {
                return Err(FaultCode::InvalidParameterValue);
            }
        }
        if let Some((lo, hi)) = self.range {
            match text.trim().parse::<i64>() {
                Ok(n) if n >= lo && n <= hi => {}
                _ => return Err(FaultCode::InvalidParameterValue),
            }
        }
        Ok(())
    }
}

/// A multi-instance object (table) whose instances AddObject and DeleteObject manage.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Table {
    /// The parameters of each new instance, by leaf name, with their defaults.
    pub template: BTreeMap<String, Param>,
    /// The next instance number to hand out.
    pub next_instance: u32,
    /// Whether the ACS may add and delete instances.
    pub writable: bool,
}

/// A change the model made that notification may have to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// The parameter.
    pub name: String,
    /// Its notification attribute (1 passive, 2 active).
    pub notification: i32,
}

/// The HeNB's parameters. Names are full paths (`Device.X.Y`); objects are the prefixes
/// ending in `.`. Serializable: save it to flash as JSON, load it back.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DataModel {
    /// Parameters by full name.
    pub params: BTreeMap<String, Param>,
    /// Tables by object path with `{i}` for the instance (`Device.X.Entry.{i}.`).
    pub tables: BTreeMap<String, Table>,
}

/// The outcome of an accepted SetParameterValues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// 0 = applied; 1 = applied after a reboot.
    pub status: i32,
    /// Parameters whose value changed.
    pub changed: Vec<String>,
}

fn fault(code: FaultCode) -> Fault {
    Fault::new(code, "")
}

impl DataModel {
    /// An empty model.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a parameter.
    pub fn insert(&mut self, name: impl Into<String>, param: Param) -> &mut Self {
        self.params.insert(name.into(), param);
        self
    }

    /// A parameter.
    pub fn get(&self, name: &str) -> Option<&Param> {
        self.params.get(name)
    }

    /// The value text of a parameter.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(|p| p.value.as_str())
    }

    /// Sets a value from inside the device (not the ACS): returns the change to notify, if
    /// the value changed and notification is on.
    pub fn set_internal(&mut self, name: &str, value: &str) -> Option<Changed> {
        let p = self.params.get_mut(name)?;
        if p.value == value {
            return None;
        }
        p.value = value.to_owned();
        (p.notification > 0).then(|| Changed {
            name: name.to_owned(),
            notification: p.notification,
        })
    }

    fn is_object(&self, path: &str) -> bool {
        path.is_empty() || self.params.keys().any(|k| k.starts_with(path))
    }

    /// Parameters under a name or partial path (TR-069 A.3.2.2), or 9005.
    fn select(&self, name: &str) -> Result<Vec<(&String, &Param)>, Fault> {
        if name.is_empty() || name.ends_with('.') {
            let found: Vec<_> = self
                .params
                .range(name.to_owned()..)
                .take_while(|(k, _)| k.starts_with(name))
                .collect();
            if found.is_empty() && !name.is_empty() {
                return Err(fault(FaultCode::InvalidParameterName));
            }
            Ok(found)
        } else {
            match self.params.get_key_value(name) {
                Some(kv) => Ok(vec![kv]),
                None => Err(fault(FaultCode::InvalidParameterName)),
            }
        }
    }

    /// GetParameterValues.
    pub fn get_values(&self, names: &[String]) -> Result<Vec<ParameterValueStruct>, Fault> {
        let mut out = Vec::new();
        for n in names {
            for (k, p) in self.select(n)? {
                out.push(ParameterValueStruct {
                    name: k.clone(),
                    value: p.as_value(),
                });
            }
        }
        Ok(out)
    }

    /// GetParameterNames (TR-069 A.3.2.3): everything under `path`, or only the next level.
    pub fn get_names(
        &self,
        path: &str,
        next_level: bool,
    ) -> Result<Vec<ParameterInfoStruct>, Fault> {
        if !path.is_empty() && !path.ends_with('.') {
            return match self.params.get(path) {
                Some(_) if next_level => Err(fault(FaultCode::InvalidArguments)),
                Some(p) => Ok(vec![ParameterInfoStruct {
                    name: path.to_owned(),
                    writable: p.writable,
                }]),
                None => Err(fault(FaultCode::InvalidParameterName)),
            };
        }
        if !self.is_object(path) {
            return Err(fault(FaultCode::InvalidParameterName));
        }
        let mut out: Vec<ParameterInfoStruct> = Vec::new();
        let mut seen_objects = std::collections::BTreeSet::new();
        for (k, p) in self
            .params
            .range(path.to_owned()..)
            .take_while(|(k, _)| k.starts_with(path))
        {
            let rest = &k[path.len()..];
            let parts: Vec<&str> = rest.split('.').collect();
            // every object on the way, then the parameter
            for depth in 1..parts.len() {
                let obj = format!("{path}{}.", parts[..depth].join("."));
                if (!next_level || depth == 1) && seen_objects.insert(obj.clone()) {
                    let writable = self
                        .table_for_instance_parent(&obj)
                        .is_some_and(|t| t.writable);
                    out.push(ParameterInfoStruct {
                        name: obj,
                        writable,
                    });
                }
            }
            if !next_level || parts.len() == 1 {
                out.push(ParameterInfoStruct {
                    name: k.clone(),
                    writable: p.writable,
                });
            }
        }
        Ok(out)
    }

    /// The table whose instances live directly under `obj` (e.g. `...LTECell.` for
    /// `...LTECell.{i}.`).
    fn table_for_instance_parent(&self, obj: &str) -> Option<&Table> {
        self.tables.get(&format!("{obj}{{i}}."))
    }

    /// SetParameterValues, atomically (TR-069 A.3.2.1): every parameter is checked first; if
    /// any fails, nothing changes and the fault lists each one (9003 with 9005/9006/9007/9008
    /// entries). On success `parameter_key` is stored in `key_param` (the data model's
    /// `ManagementServer.ParameterKey`).
    pub fn set_values(
        &mut self,
        list: &[ParameterValueStruct],
        parameter_key: &str,
        key_param: &str,
    ) -> Result<Applied, Fault> {
        let mut faults = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for pv in list {
            if !seen.insert(pv.name.as_str()) {
                return Err(Fault::new(
                    FaultCode::InvalidArguments,
                    format!("{} appears twice", pv.name),
                ));
            }
            let code = match self.params.get(&pv.name) {
                None => Some(FaultCode::InvalidParameterName),
                Some(p) if !p.writable => Some(FaultCode::NonWritableParameter),
                Some(p) => {
                    let declared = pv.value.xsd_type();
                    // a value sent as xsd:string is accepted when its text fits the type
                    if declared != p.xsd_type && declared != XsdType::String {
                        Some(FaultCode::InvalidParameterType)
                    } else {
                        p.check_value(pv.value.as_str()).err()
                    }
                }
            };
            if let Some(code) = code {
                faults.push(SetParameterValuesFault::new(pv.name.clone(), code));
            }
        }
        if !faults.is_empty() {
            return Err(Fault::set_parameter_values(faults));
        }
        let mut status = 0;
        let mut changed = Vec::new();
        for pv in list {
            let p = self.params.get_mut(&pv.name).expect("checked above");
            let text = pv.value.as_str().trim().to_owned();
            let text = if p.xsd_type == XsdType::String {
                pv.value.as_str().to_owned()
            } else {
                text
            };
            if p.value != text {
                if p.reboot_required {
                    status = 1;
                }
                p.value = text;
                changed.push(pv.name.clone());
            }
        }
        if let Some(k) = self.params.get_mut(key_param) {
            k.value = parameter_key.to_owned();
        }
        Ok(Applied { status, changed })
    }

    /// SetParameterAttributes (TR-069 A.3.2.4), atomically.
    pub fn set_attributes(&mut self, list: &[SetParameterAttributesStruct]) -> Result<(), Fault> {
        for a in list {
            let targets = self.select(&a.name)?;
            if a.notification_change {
                for (_, p) in targets {
                    let refused = match p.active_notify {
                        ActiveNotify::ForceEnabled => a.notification != 2,
                        ActiveNotify::CanDeny => a.notification == 2,
                        _ => false,
                    };
                    if refused || !(0..=2).contains(&a.notification) {
                        return Err(Fault::new(
                            FaultCode::NotificationRequestRejected,
                            a.name.clone(),
                        ));
                    }
                }
            }
        }
        for a in list {
            let names: Vec<String> = self
                .select(&a.name)?
                .into_iter()
                .map(|(k, _)| k.clone())
                .collect();
            for n in names {
                let p = self.params.get_mut(&n).expect("selected");
                if a.notification_change {
                    p.notification = a.notification;
                }
                if a.access_list_change {
                    p.access_list = a.access_list.clone();
                }
            }
        }
        Ok(())
    }

    /// GetParameterAttributes (TR-069 A.3.2.5).
    pub fn get_attributes(&self, names: &[String]) -> Result<Vec<ParameterAttributeStruct>, Fault> {
        let mut out = Vec::new();
        for n in names {
            for (k, p) in self.select(n)? {
                out.push(ParameterAttributeStruct {
                    name: k.clone(),
                    notification: p.notification,
                    access_list: p.access_list.clone(),
                });
            }
        }
        Ok(out)
    }

    /// AddObject: a new instance of the table under `object_name` (`...LTECell.`).
    pub fn add_object(
        &mut self,
        object_name: &str,
        parameter_key: &str,
        key_param: &str,
    ) -> Result<u32, Fault> {
        let key = format!("{object_name}{{i}}.");
        let table = self
            .tables
            .get_mut(&key)
            .ok_or_else(|| fault(FaultCode::InvalidParameterName))?;
        if !table.writable {
            return Err(fault(FaultCode::RequestDenied));
        }
        table.next_instance = table.next_instance.max(1);
        let n = table.next_instance;
        table.next_instance += 1;
        let template = table.template.clone();
        for (leaf, p) in template {
            self.params.insert(format!("{object_name}{n}.{leaf}"), p);
        }
        if let Some(k) = self.params.get_mut(key_param) {
            k.value = parameter_key.to_owned();
        }
        Ok(n)
    }

    /// DeleteObject: removes the instance `object_name` (`...LTECell.3.`).
    pub fn delete_object(
        &mut self,
        object_name: &str,
        parameter_key: &str,
        key_param: &str,
    ) -> Result<(), Fault> {
        let trimmed = object_name
            .strip_suffix('.')
            .ok_or_else(|| fault(FaultCode::InvalidParameterName))?;
        let (parent, instance) = trimmed
            .rsplit_once('.')
            .ok_or_else(|| fault(FaultCode::InvalidParameterName))?;
        if instance.parse::<u32>().is_err() {
            return Err(fault(FaultCode::InvalidParameterName));
        }
        let table = self
            .tables
            .get(&format!("{parent}.{{i}}."))
            .ok_or_else(|| fault(FaultCode::InvalidParameterName))?;
        if !table.writable {
            return Err(fault(FaultCode::RequestDenied));
        }
        let doomed: Vec<String> = self
            .params
            .keys()
            .filter(|k| k.starts_with(object_name))
            .cloned()
            .collect();
        if doomed.is_empty() {
            return Err(fault(FaultCode::InvalidParameterName));
        }
        for k in doomed {
            self.params.remove(&k);
        }
        if let Some(k) = self.params.get_mut(key_param) {
            k.value = parameter_key.to_owned();
        }
        Ok(())
    }

    /// The forced-inform parameters, for every Inform.
    pub fn forced_inform(&self) -> Vec<ParameterValueStruct> {
        self.params
            .iter()
            .filter(|(_, p)| p.forced_inform)
            .map(|(k, p)| ParameterValueStruct {
                name: k.clone(),
                value: p.as_value(),
            })
            .collect()
    }

    /// JSON, to save the model.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("models serialize")
    }

    /// Loads a model saved with [`DataModel::to_json`].
    pub fn from_json(json: &str) -> Result<DataModel, serde_json::Error> {
        serde_json::from_str(json)
    }
}
