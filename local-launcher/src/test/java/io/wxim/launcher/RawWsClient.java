package io.wxim.launcher;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * A bare WebSocket client over a socket, for frames the JDK client refuses to send (a text frame that is not UTF-8):
 * handshake, one masked frame with any payload, then reads until the server's close frame and returns its code.
 * It reads nothing unless asked, so it also stands for a client that stopped reading (a stalled reader).
 */
final class RawWsClient implements AutoCloseable {
    private final Socket socket = new Socket();
    private final DataInputStream in;

    RawWsClient(int port, String token) throws IOException {
        socket.setSoTimeout(10_000);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        OutputStream out = socket.getOutputStream();
        out.write(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + "Authorization: Bearer " + token + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        in = new DataInputStream(socket.getInputStream());
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed during handshake: " + head);
            }
            head.append((char) b);
        }
        if (!head.toString().startsWith("HTTP/1.1 101")) {
            throw new IOException("handshake refused: " + head.toString().lines().findFirst().orElse(""));
        }
    }

    /** Reads frames until the {@code welcome} (frames sent before it wait for the session to start). */
    void awaitWelcome() throws IOException {
        while (true) {
            Frame frame = readFrame();
            if (frame.opcode() == 0x1 && new String(frame.payload(), StandardCharsets.UTF_8).contains("\"type\":\"welcome\"")) {
                return;
            }
        }
    }

    private record Frame(int opcode, byte[] payload) {
    }

    /** One frame (the server's are unmasked); EOFException when the socket ended. */
    private Frame readFrame() throws IOException {
        int first = in.readUnsignedByte();
        int second = in.readUnsignedByte();
        long length = second & 0x7f;
        if (length == 126) {
            length = in.readUnsignedShort();
        } else if (length == 127) {
            length = in.readLong();
        }
        byte[] payload = new byte[(int) length];
        in.readFully(payload);
        return new Frame(first & 0x0f, payload);
    }

    /** Sends one final frame (text or binary), masked as a client must. */
    void send(byte[] payload, boolean text) throws IOException {
        java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream();
        frame.write(0x80 | (text ? 0x1 : 0x2));
        if (payload.length < 126) {
            frame.write(0x80 | payload.length);
        } else if (payload.length < 65536) {
            frame.write(0x80 | 126);
            frame.write(payload.length >>> 8);
            frame.write(payload.length & 0xff);
        } else {
            frame.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame.write((int) ((long) payload.length >>> shift) & 0xff);
            }
        }
        byte[] mask = {0x11, 0x22, 0x33, 0x44};
        frame.write(mask);
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i % 4]);
        }
        socket.getOutputStream().write(frame.toByteArray());
        socket.getOutputStream().flush();
    }

    /**
     * Reads frames (the welcome, pushes) until the server's close; its status code, -1 if the socket just ended, -2 if
     * nothing came within the socket timeout (10 s).
     */
    int awaitClose() throws IOException {
        try {
            while (true) {
                Frame frame = readFrame();
                if (frame.opcode() == 0x8) {
                    byte[] p = frame.payload();
                    return p.length >= 2 ? ((p[0] & 0xff) << 8) | (p[1] & 0xff) : 1005;
                }
            }
        } catch (SocketTimeoutException e) {
            return -2; // no close within the socket timeout
        } catch (java.io.EOFException | java.net.SocketException e) {
            return -1;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
