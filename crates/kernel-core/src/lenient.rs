//! Decoding answers the way a client that must outlive API changes decodes them: strict about
//! what cannot be right (a body that is not JSON, or not an object where an object is due),
//! lenient about what may be new. A documented field that is missing, `null`, or of another
//! JSON type than documented leaves its typed slot `None` and stays, as the server sent it, in
//! the struct's `extra` map (when it was there at all); the fields this version does not know
//! are there too. Serializing a decoded value gives back what the server sent.

use serde::de::DeserializeOwned;
use serde::Deserialize;
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
