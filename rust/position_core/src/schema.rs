//! Tables build.rs generates from proto/tradefast.proto.

/// Marks a number that is not a field of the message.
pub const NOT_A_FIELD: u8 = u8::MAX;

include!(concat!(env!("OUT_DIR"), "/schema_tables.rs"));
