package io.wxim.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code --name value} and {@code --flag} options after the scenario name; positional arguments kept in order. */
public final class Args {

    private final Map<String, String> options = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();
    private final Set<String> used = new HashSet<>();

    public Args(String[] argv) {
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (a.startsWith("--")) {
                String name = a.substring(2);
                int eq = name.indexOf('=');
                if (eq > 0) {
                    options.put(name.substring(0, eq), name.substring(eq + 1));
                } else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) {
                    options.put(name, argv[++i]);
                } else {
                    options.put(name, "true");
                }
            } else {
                positional.add(a);
            }
        }
    }

    public List<String> positional() {
        return List.copyOf(positional);
    }

    public boolean has(String name) {
        used.add(name);
        return options.containsKey(name);
    }

    public String string(String name, String fallback) {
        used.add(name);
        return options.getOrDefault(name, fallback);
    }

    public String required(String name) {
        used.add(name);
        String v = options.get(name);
        if (v == null) {
            throw new IllegalArgumentException("missing option --" + name);
        }
        return v;
    }

    public int integer(String name, int fallback) {
        String v = string(name, null);
        return v == null ? fallback : Integer.parseInt(v);
    }

    public long longValue(String name, long fallback) {
        String v = string(name, null);
        return v == null ? fallback : Long.parseLong(v);
    }

    public double decimal(String name, double fallback) {
        String v = string(name, null);
        return v == null ? fallback : Double.parseDouble(v);
    }

    public boolean flag(String name) {
        return Boolean.parseBoolean(string(name, "false"));
    }

    public List<String> list(String name, String fallback) {
        String v = string(name, fallback);
        if (v == null || v.isBlank()) {
            return List.of();
        }
        return Arrays.stream(v.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    public List<Double> decimals(String name, String fallback) {
        return list(name, fallback).stream().map(Double::parseDouble).toList();
    }

    public List<Long> longs(String name, String fallback) {
        return list(name, fallback).stream().map(Long::parseLong).toList();
    }

    /** Options given but never read: most likely typos; the caller refuses to run with them. */
    public List<String> unused() {
        return options.keySet().stream().filter(k -> !used.contains(k)).toList();
    }

    public Map<String, String> all() {
        return Map.copyOf(options);
    }
}
