//! A mail server for the invitation mail: it takes one message and hands it back.

/// A one-connection SMTP server speaking just enough of the protocol (220, 250, 354, 250,
/// 221); it hands back the whole conversation, the message included.
pub(crate) async fn smtp_receiver() -> (u16, tokio::sync::oneshot::Receiver<String>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let Ok((socket, _)) = listener.accept().await else {
            return;
        };
        let (read, mut write) = socket.into_split();
        let mut reader = BufReader::new(read);
        let mut conversation = String::new();
        let mut in_data = false;
        let _ = write.write_all(b"220 receiver.test ESMTP\r\n").await;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                break;
            }
            conversation.push_str(&line);
            if in_data {
                if line == ".\r\n" {
                    in_data = false;
                    let _ = write.write_all(b"250 2.0.0 queued\r\n").await;
                }
                continue;
            }
            let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" | "HELO" => b"250 receiver.test\r\n",
                "DATA" => {
                    in_data = true;
                    b"354 end with <CRLF>.<CRLF>\r\n"
                }
                "QUIT" => {
                    let _ = write.write_all(b"221 bye\r\n").await;
                    break;
                }
                _ => b"250 OK\r\n",
            };
            let _ = write.write_all(reply).await;
        }
        let _ = tx.send(conversation);
    });
    (port, rx)
}

/// The base64 body of a message (the blank line after the headers to the final dot).
pub(crate) fn decoded_body(message: &str) -> String {
    let start = message.find("\r\n\r\n").map_or(0, |i| i + 4);
    let text: Vec<u8> = message[start..]
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
        .collect();
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let mut out = Vec::new();
    for chunk in text.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, c)| {
            acc | (u32::from(value(*c)) << (18 - 6 * i))
        });
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len().saturating_sub(1)]);
    }
    String::from_utf8_lossy(&out).into_owned()
}
