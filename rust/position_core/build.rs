//! Generates, from proto/tradefast.proto (the single source of the schema), the Rust message
//! types (prost) and schema tables: each Inquiry field's wire type, for the strict wire check,
//! and InquiryBatch's field numbers, for frame assembly.

use std::{env, fs, path::PathBuf};

use prost::Message;
use prost_types::{field_descriptor_proto::Type, DescriptorProto, FileDescriptorSet};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../proto");
    let proto = format!("{proto_dir}/tradefast.proto");
    println!("cargo:rerun-if-changed={proto}");
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let descriptor_path = out_dir.join("tradefast.descriptor.bin");
    prost_build::Config::new()
        .protoc_executable(protoc_bin_vendored::protoc_bin_path()?)
        .file_descriptor_set_path(&descriptor_path)
        .compile_protos(&[proto], &[proto_dir])?;
    let descriptors = FileDescriptorSet::decode(fs::read(&descriptor_path)?.as_slice())?;
    let tables = wire_type_table(&descriptors)? + &batch_field_numbers(&descriptors)?;
    fs::write(out_dir.join("schema_tables.rs"), tables)?;
    Ok(())
}

fn message<'a>(
    descriptors: &'a FileDescriptorSet,
    name: &str,
) -> Result<&'a DescriptorProto, Box<dyn std::error::Error>> {
    descriptors
        .file
        .iter()
        .flat_map(|file| &file.message_type)
        .find(|message| message.name() == name)
        .ok_or_else(|| format!("no {name} message in tradefast.proto").into())
}

/// `INQUIRY_BATCH_<FIELD>`: the field numbers of InquiryBatch, for frame assembly.
fn batch_field_numbers(
    descriptors: &FileDescriptorSet,
) -> Result<String, Box<dyn std::error::Error>> {
    let batch = message(descriptors, "InquiryBatch")?;
    Ok(batch
        .field
        .iter()
        .map(|field| {
            format!(
                "/// Field number of InquiryBatch.{}.\npub const INQUIRY_BATCH_{}: u32 = {};\n",
                field.name(),
                field.name().to_uppercase(),
                field.number()
            )
        })
        .collect())
}

/// `INQUIRY_WIRE_TYPES[n]` is the wire type of Inquiry field number n, or NOT_A_FIELD.
fn wire_type_table(descriptors: &FileDescriptorSet) -> Result<String, Box<dyn std::error::Error>> {
    let inquiry = message(descriptors, "Inquiry")?;
    let size = inquiry.field.iter().map(|f| f.number()).max().unwrap_or(0) + 1;
    let mut table = vec!["NOT_A_FIELD".to_string(); usize::try_from(size)?];
    for field in &inquiry.field {
        let wire_type = match field.r#type() {
            Type::Int64 | Type::Enum => 0,
            Type::String => 2,
            other => return Err(format!("Inquiry field type {other:?} not handled").into()),
        };
        table[usize::try_from(field.number())?] = wire_type.to_string();
    }
    Ok(format!(
        "/// Wire type of each Inquiry field, indexed by field number (NOT_A_FIELD if none).\n\
         pub const INQUIRY_WIRE_TYPES: [u8; {size}] = [{}];\n",
        table.join(", ")
    ))
}
