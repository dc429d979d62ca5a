//! JSON values into JS values the way `JSON.parse` makes them: every number is a `number` (never
//! a `BigInt`), and every key, `__proto__` included, becomes an own data property (a plain
//! property set would call the `__proto__` setter and swap the object's prototype).

use napi::bindgen_prelude::ToNapiValue;
use napi::{check_status, sys};
use serde_json::{Map, Value};

/// A JSON value on its way to JS.
pub struct Json(pub Value);

impl ToNapiValue for Json {
    unsafe fn to_napi_value(env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        to_js(env, &value.0)
    }
}

/// serde_json refuses input nested deeper than 128 levels, so the recursion is bounded.
pub unsafe fn to_js(env: sys::napi_env, value: &Value) -> napi::Result<sys::napi_value> {
    match value {
        Value::Null => {
            let mut out = std::ptr::null_mut();
            check_status!(sys::napi_get_null(env, &mut out))?;
            Ok(out)
        }
        Value::Bool(flag) => bool::to_napi_value(env, *flag),
        // Like JSON.parse: integers beyond 2^53 lose precision rather than change type.
        Value::Number(number) => f64::to_napi_value(env, number.as_f64().unwrap_or(f64::NAN)),
        Value::String(text) => <&str>::to_napi_value(env, text),
        Value::Array(items) => array(env, items.iter().map(|item| to_js(env, item))),
        Value::Object(fields) => {
            let mut object = std::ptr::null_mut();
            check_status!(sys::napi_create_object(env, &mut object))?;
            define_fields(env, object, fields)?;
            Ok(object)
        }
    }
}

/// Adds `fields` to `object` as own, writable, enumerable, configurable data properties.
pub unsafe fn define_fields(
    env: sys::napi_env,
    object: sys::napi_value,
    fields: &Map<String, Value>,
) -> napi::Result<()> {
    let mut descriptors = Vec::with_capacity(fields.len());
    for (name, field) in fields {
        descriptors.push(data_property(
            <&str>::to_napi_value(env, name)?,
            to_js(env, field)?,
        ));
    }
    check_status!(sys::napi_define_properties(
        env,
        object,
        descriptors.len(),
        descriptors.as_ptr()
    ))
}

/// A JS array of the given values.
pub unsafe fn array(
    env: sys::napi_env,
    items: impl ExactSizeIterator<Item = napi::Result<sys::napi_value>>,
) -> napi::Result<sys::napi_value> {
    let mut array = std::ptr::null_mut();
    check_status!(sys::napi_create_array_with_length(
        env,
        items.len(),
        &mut array
    ))?;
    for (index, item) in items.enumerate() {
        check_status!(sys::napi_set_element(env, array, index as u32, item?))?;
    }
    Ok(array)
}

/// A plain JS object with the given named fields, as own data properties.
pub unsafe fn object(
    env: sys::napi_env,
    fields: &[(&str, sys::napi_value)],
) -> napi::Result<sys::napi_value> {
    let mut object = std::ptr::null_mut();
    check_status!(sys::napi_create_object(env, &mut object))?;
    let mut descriptors = Vec::with_capacity(fields.len());
    for (name, value) in fields {
        descriptors.push(data_property(<&str>::to_napi_value(env, name)?, *value));
    }
    check_status!(sys::napi_define_properties(
        env,
        object,
        descriptors.len(),
        descriptors.as_ptr()
    ))?;
    Ok(object)
}

fn data_property(name: sys::napi_value, value: sys::napi_value) -> sys::napi_property_descriptor {
    sys::napi_property_descriptor {
        utf8name: std::ptr::null(),
        name,
        method: None,
        getter: None,
        setter: None,
        value,
        attributes: sys::PropertyAttributes::writable
            | sys::PropertyAttributes::enumerable
            | sys::PropertyAttributes::configurable,
        data: std::ptr::null_mut(),
    }
}
