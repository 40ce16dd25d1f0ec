//! Server-to-client WebSocket frames (RFC 6455, section 5.2), as
//! python/tradefast/reference/websocket.py: every message its own final, unmasked binary frame,
//! all of them in one buffer, so the gateway hands a whole batch to a client's socket at once.

/// FIN set, no extension bits, opcode 2 (binary).
const FINAL_BINARY: u8 = 0x82;
/// The length byte that announces a 16-bit extended length; shorter payloads are their own.
const EXTENDED_16: u8 = 126;
/// The length byte that announces a 64-bit extended length (payloads above u16::MAX).
const EXTENDED_64: u8 = 127;

fn header_len(payload: usize) -> usize {
    if payload < usize::from(EXTENDED_16) {
        2
    } else if u16::try_from(payload).is_ok() {
        4
    } else {
        10
    }
}

/// The length in bytes of the frames of `messages`.
pub fn frames_len(messages: &[&[u8]]) -> usize {
    messages
        .iter()
        .map(|message| header_len(message.len()) + message.len())
        .sum()
}

/// Write the frames of `messages` into `out`, which has exactly `frames_len` bytes.
pub fn write_frames(messages: &[&[u8]], mut out: &mut [u8]) {
    for message in messages {
        let len = message.len();
        let (header, rest) = out.split_at_mut(header_len(len));
        header[0] = FINAL_BINARY;
        match header.len() {
            2 => header[1] = len as u8,
            4 => {
                header[1] = EXTENDED_16;
                header[2..].copy_from_slice(&(len as u16).to_be_bytes());
            }
            _ => {
                header[1] = EXTENDED_64;
                header[2..].copy_from_slice(&(len as u64).to_be_bytes());
            }
        }
        let (payload, rest) = rest.split_at_mut(len);
        payload.copy_from_slice(message);
        out = rest;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(messages: &[&[u8]]) -> Vec<u8> {
        let mut out = vec![0; frames_len(messages)];
        write_frames(messages, &mut out);
        out
    }

    #[test]
    fn each_length_form() {
        let (short, medium, long) = (vec![7; 125], vec![8; 126], vec![9; 65_536]);
        let out = frames(&[b"", &short, &medium, &long]);
        assert_eq!(&out[..2], &[0x82, 0]);
        assert_eq!(&out[2..4], &[0x82, 125]);
        let medium_at = 4 + 125;
        assert_eq!(&out[medium_at..medium_at + 4], &[0x82, 126, 0, 126]);
        let long_at = medium_at + 4 + 126;
        assert_eq!(
            &out[long_at..long_at + 10],
            &[0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]
        );
        assert_eq!(out.len(), long_at + 10 + 65_536);
        assert!(out[long_at + 10..].iter().all(|&byte| byte == 9));
    }
}
