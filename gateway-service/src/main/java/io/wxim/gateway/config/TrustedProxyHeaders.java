package io.wxim.gateway.config;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.regex.Pattern;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.stereotype.Component;
import reactor.netty.http.server.ConnectionInfo;
import reactor.netty.http.server.HttpServer;

/**
 * With {@code server.forward-headers-strategy=native} (compose and Kubernetes: behind one proxy that sets the
 * {@code X-Forwarded-*} headers), reads only what that proxy sets. Reactor Netty's own handler prefers a
 * {@code Forwarded} header, which the proxies in {@code deploy/} pass through from the client, and takes the first
 * (client-written) entry of {@code X-Forwarded-For}: a client could pick the address the per-address limits see, or
 * send one that is not an address at all (the remote address then had no IP). Here {@code Forwarded} and
 * {@code X-Forwarded-Prefix} are ignored; the client address is the last entry of the last {@code X-Forwarded-For}
 * line (the one the nearest proxy wrote; a proxy that overwrites writes only that one), without a port, if it is an
 * IP literal (never resolved);
 * {@code X-Forwarded-Proto} ({@code http}/{@code https}), {@code -Host} and {@code -Port} give the scheme and host the
 * client used (the same-origin check of the handshake). Without the strategy nothing changes: no header is read.
 */
@Component
class TrustedProxyHeaders implements NettyServerCustomizer {
    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9.-]{1,253}|\\[[0-9A-Fa-f:.]{2,45}\\]");

    @Override
    public HttpServer apply(HttpServer server) {
        return server.configuration().isForwarded() ? server.forwarded(TrustedProxyHeaders::read) : server;
    }

    static ConnectionInfo read(ConnectionInfo connection, HttpRequest request) {
        HttpHeaders headers = request.headers();
        ConnectionInfo info = connection;
        java.util.List<String> lines = headers.getAll("X-Forwarded-For"); // a proxy may add a line of its own
        InetAddress client = lines.isEmpty() ? null : ipLiteral(withoutPort(lastEntry(lines.get(lines.size() - 1))));
        if (client != null) {
            InetSocketAddress socket = connection.getRemoteAddress();
            info = info.withRemoteAddress(new InetSocketAddress(client, socket == null ? 0 : socket.getPort()));
        }
        String proto = firstEntry(headers.get("X-Forwarded-Proto"));
        if ("http".equalsIgnoreCase(proto) || "https".equalsIgnoreCase(proto)) {
            info = info.withScheme(proto.toLowerCase(Locale.ROOT));
        }
        String host = firstEntry(headers.get("X-Forwarded-Host"));
        if (host != null) {
            info = withHost(info, host, firstEntry(headers.get("X-Forwarded-Port")));
        }
        return info;
    }

    /** {@code host} is {@code name[:port]} ({@code [v6]:port} for IPv6); a port header wins over the host's port. */
    private static ConnectionInfo withHost(ConnectionInfo info, String host, String portHeader) {
        int split = host.startsWith("[") ? host.indexOf("]:") + 1 : host.indexOf(':');
        String name = split > 0 ? host.substring(0, split) : host;
        int port = port(split > 0 ? host.substring(split + 1) : null);
        if (portHeader != null) {
            port = port(portHeader);
        }
        if (!HOST_NAME.matcher(name).matches()) {
            return info;
        }
        if (port < 0) {
            port = ConnectionInfo.getDefaultHostPort(info.getScheme());
        }
        return info.withHostAddress(InetSocketAddress.createUnresolved(name, port), name, port);
    }

    private static int port(String value) {
        if (value == null || value.isEmpty() || value.length() > 5 || !value.chars().allMatch(Character::isDigit)) {
            return -1;
        }
        int port = Integer.parseInt(value);
        return port <= 65535 ? port : -1;
    }

    private static String firstEntry(String value) {
        if (value == null) {
            return null;
        }
        int comma = value.indexOf(',');
        String first = (comma < 0 ? value : value.substring(0, comma)).strip();
        return first.isEmpty() ? null : first;
    }

    private static String lastEntry(String value) {
        return value == null ? null : value.substring(value.lastIndexOf(',') + 1).strip();
    }

    /** {@code 192.0.2.1:4711} -> {@code 192.0.2.1}, {@code [2001:db8::1]:4711} -> {@code [2001:db8::1]}; else as it is. */
    private static String withoutPort(String value) {
        if (value.startsWith("[")) {
            int end = value.indexOf(']');
            return end > 0 ? value.substring(0, end + 1) : value;
        }
        int colon = value.indexOf(':');
        return colon > 0 && colon == value.lastIndexOf(':') ? value.substring(0, colon) : value;
    }

    /** The address if {@code value} is an IPv4 or IPv6 literal (IPv6 optionally in brackets), else null; no lookup. */
    static InetAddress ipLiteral(String value) {
        if (value == null) {
            return null;
        }
        String bare = value.length() > 2 && value.startsWith("[") && value.endsWith("]")
                ? value.substring(1, value.length() - 1) : value;
        return NetUtil.createInetAddressFromIpAddressString(bare);
    }
}
