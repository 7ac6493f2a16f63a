//! serde_json errors described without the input they quote: the one
//! description, shared with the sandbox through the contract crate.

pub(crate) use smartlink_contract::describe_json_error as describe;
