//! Decoding answers the way a client that must outlive API changes decodes them: strict about
//! what cannot be right (a body that is not JSON, or not an object where an object is due),
//! lenient about what may be new. A documented field that is missing, `null`, or of another
//! JSON type than documented leaves its typed slot `None` and stays, as the server sent it, in
//! the struct's `extra` map (when it was there at all); the fields this version does not know
//! are there too. Serializing a decoded value gives back what the server sent.

use std::fmt;

use serde::de::{DeserializeOwned, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// The fields of one JSON object, taken out one by one as their typed slots claim them.
pub(crate) struct Fields(Map<String, Value>);

impl Fields {
    /// The object a deserializer holds; anything but an object is an error.
    pub fn from_deserializer<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Self, D::Error> {
        Map::deserialize(deserializer).map(Fields)
    }

    /// The field if it is a string; else it stays where it is.
    pub fn string(&mut self, name: &str) -> Option<String> {
        match self.0.get(name) {
            Some(Value::String(_)) => match self.0.shift_remove(name) {
                Some(Value::String(text)) => Some(text),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn bool(&mut self, name: &str) -> Option<bool> {
        let value = self.0.get(name)?.as_bool()?;
        self.0.shift_remove(name);
        Some(value)
    }

    pub fn number(&mut self, name: &str) -> Option<f64> {
        let value = self.0.get(name)?.as_f64()?;
        self.0.shift_remove(name);
        Some(value)
    }

    /// The field decoded as `T` (an object type of this module's kind), if it decodes.
    pub fn object<T: DeserializeOwned>(&mut self, name: &str) -> Option<T> {
        let decoded = T::deserialize(self.0.get(name)?).ok()?;
        self.0.shift_remove(name);
        Some(decoded)
    }

    /// The field as a list of `T`, if it is an array whose every item decodes.
    pub fn list<T: DeserializeOwned>(&mut self, name: &str) -> Option<Vec<T>> {
        self.object(name)
    }

    /// What no typed slot claimed: unknown fields, and known ones of an unexpected type.
    pub fn rest(self) -> Map<String, Value> {
        self.0
    }
}

/// `impl Deserialize` through [`Fields`]: each listed field taken by its typed slot.
macro_rules! lenient {
    ($type:ident { $($field:ident: $take:ident),* $(,)? }) => {
        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let mut fields = $crate::lenient::Fields::from_deserializer(deserializer)?;
                Ok($type {
                    $($field: fields.$take(stringify!($field)),)*
                    extra: fields.rest(),
                })
            }
        }
    };
}

pub(crate) use lenient;

/// Checks that `body` is one JSON object that decoding into a [`Map`] of [`Value`]s accepts
/// (the first step of every answer type above), with the same error if not, and builds none of
/// it: the syntax, string escapes, number range and nesting limit are serde_json's own.
pub(crate) fn check_object(body: &[u8]) -> Result<(), serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    deserializer.deserialize_map(Check)?;
    deserializer.end()
}

/// Accepts any JSON value the way [`Value`] does (same `deserialize_*` calls, so the same
/// errors), keeping nothing. As the top level, `expecting` names what [`Map`] names.
struct Check;

impl<'de> Deserialize<'de> for Check {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Check)
    }
}

/// An object key, read as [`Value`]'s map reads its keys.
struct Key;

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(Check).map(|Check| Key)
    }
}

impl<'de> Visitor<'de> for Check {
    type Value = Check;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a map")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Check, E> {
        Ok(Check)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Check, E> {
        Ok(Check)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Check, E> {
        Ok(Check)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Check, E> {
        Ok(Check)
    }

    fn visit_str<E>(self, _: &str) -> Result<Check, E> {
        Ok(Check)
    }

    fn visit_unit<E>(self) -> Result<Check, E> {
        Ok(Check)
    }

    fn visit_none<E>(self) -> Result<Check, E> {
        Ok(Check)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Check, A::Error> {
        while items.next_element::<Check>()?.is_some() {}
        Ok(Check)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut fields: A) -> Result<Check, A::Error> {
        while fields.next_entry::<Key, Check>()?.is_some() {}
        Ok(Check)
    }
}
