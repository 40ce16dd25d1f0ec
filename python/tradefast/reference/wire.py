"""The strict wire-format check both cores apply before decoding an Inquiry.

upb (Python) and prost (Rust) disagree on a few corner cases of the protobuf wire format
(over-long varints, a known field sent with another wire type, groups). tradefast accepts only
what both decoders accept identically, so "malformed" means the same thing in both cores:

- varints are at most 10 bytes and the 10th byte is 0 or 1 (the value fits 64 bits);
- a tag is at most 5 bytes, fits 32 bits, and its field number is not 0;
- wire types are varint (0), 64-bit (1), length-delimited (2) or 32-bit (5): groups (3, 4) are
  refused, proto3 never writes them;
- a length is at most 5 bytes and stays inside the message;
- a field of the schema has the wire type of its declared type, and its strings are UTF-8.

Unknown fields that pass these rules are allowed and dropped on re-encode.
"""

from google.protobuf.descriptor import FieldDescriptor

from tradefast.proto.tradefast_pb2 import Inquiry

VARINT, FIXED64, LENGTH_DELIMITED, FIXED32 = 0, 1, 2, 5
MAX_VARINT_BYTES = 10
MAX_TAG_BYTES = 5
MAX_LENGTH_BYTES = 5
MAX_TAG = 0xFFFF_FFFF

_WIRE_TYPE_OF = {
    FieldDescriptor.TYPE_INT64: VARINT,
    FieldDescriptor.TYPE_ENUM: VARINT,
    FieldDescriptor.TYPE_STRING: LENGTH_DELIMITED,
}
# Field number -> wire type, read from the schema rather than retyped.
INQUIRY_WIRE_TYPES = {f.number: _WIRE_TYPE_OF[f.type] for f in Inquiry.DESCRIPTOR.fields}
INQUIRY_STRING_FIELDS = frozenset(
    f.number for f in Inquiry.DESCRIPTOR.fields if f.type == FieldDescriptor.TYPE_STRING
)


class Malformed(Exception):
    """The bytes break the wire-format rules above."""


def read_varint(data: bytes, pos: int, max_bytes: int) -> tuple[int, int]:
    """The varint at `pos` and the position after it."""
    value = 0
    for index in range(max_bytes):
        if pos >= len(data):
            raise Malformed
        byte = data[pos]
        pos += 1
        if index == MAX_VARINT_BYTES - 1 and byte > 1:
            raise Malformed
        value |= (byte & 0x7F) << (7 * index)
        if byte < 0x80:
            return value, pos
    raise Malformed


def check_inquiry(data: bytes) -> None:
    """Raise Malformed unless `data` follows the rules of this module for an Inquiry."""
    pos = 0
    while pos < len(data):
        tag, pos = read_varint(data, pos, MAX_TAG_BYTES)
        number, wire_type = tag >> 3, tag & 7
        if tag > MAX_TAG or number == 0:
            raise Malformed
        expected = INQUIRY_WIRE_TYPES.get(number)
        if expected is not None and wire_type != expected:
            raise Malformed
        if wire_type == VARINT:
            _, pos = read_varint(data, pos, MAX_VARINT_BYTES)
            continue
        if wire_type == FIXED64:
            end = pos + 8
        elif wire_type == FIXED32:
            end = pos + 4
        elif wire_type == LENGTH_DELIMITED:
            length, pos = read_varint(data, pos, MAX_LENGTH_BYTES)
            end = pos + length
        else:
            raise Malformed
        if end > len(data):
            raise Malformed
        if number in INQUIRY_STRING_FIELDS:
            try:
                data[pos:end].decode("utf-8")
            except UnicodeDecodeError as exc:
                raise Malformed from exc
        pos = end
