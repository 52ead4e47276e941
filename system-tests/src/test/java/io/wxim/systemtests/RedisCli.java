package io.wxim.systemtests;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal RESP client on a plain socket, for the fault injector's own commands against the test's redis-server
 * (CLIENT LIST/KILL, XINFO, ...): redis-cli is not installed, and a test must not share the services' client.
 * One connection, one thread; every read bounded by a 5 s socket timeout. A Redis error reply is returned as
 * {@link Err}, not thrown.
 */
final class RedisCli implements AutoCloseable {
    record Err(String message) {
    }

    private final Socket socket = new Socket();
    private final InputStream in;
    private final OutputStream out;

    RedisCli(int port) {
        try {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(5000);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends one command; returns a String, Long, List, {@link Err} or null (nil). */
    Object call(String... args) {
        StringBuilder b = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            byte[] bytes = a.getBytes(StandardCharsets.UTF_8);
            b.append('$').append(bytes.length).append("\r\n").append(a).append("\r\n");
        }
        try {
            out.write(b.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            return read();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Ids of the pub/sub clients whose CLIENT SETNAME is {@code name}. */
    List<String> pubSubClientIds(String name) {
        List<String> ids = new ArrayList<>();
        for (String line : String.valueOf(call("CLIENT", "LIST", "TYPE", "pubsub")).split("\n")) {
            if ((" " + line + " ").contains(" name=" + name + " ")) {
                for (String field : line.trim().split(" ")) {
                    if (field.startsWith("id=")) {
                        ids.add(field.substring(3));
                    }
                }
            }
        }
        return ids;
    }

    private Object read() throws IOException {
        int type = in.read();
        String line = line();
        switch (type) {
            case '+':
                return line;
            case '-':
                return new Err(line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int len = Integer.parseInt(line);
                if (len < 0) {
                    return null;
                }
                byte[] data = in.readNBytes(len + 2);
                return new String(data, 0, len, StandardCharsets.UTF_8);
            }
            case '*': {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    items.add(read());
                }
                return items;
            }
            default:
                throw new IOException("unexpected RESP type " + type);
        }
    }

    private String line() throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != '\r') {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            b.append((char) c);
        }
        in.read(); // \n
        return b.toString();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
