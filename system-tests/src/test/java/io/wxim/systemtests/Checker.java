package io.wxim.systemtests;

import io.wxim.protocol.ServerFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The end-of-scenario verdict. Inputs: every ack the clients got (the ledger), every client's view, and history as
 * read by a member through a gateway ({@code GET /api/history}, paged). Counts:
 * lost = an acknowledged message missing from history or from a member's view; duplicated = one (sender, cmid) at
 * two seqs, or acks of one cmid with different seqs; unexpected = a view entry history does not have (or has with
 * another id), a message whose cmid no client sent, a seq gap in history, a per-sender seq that went backwards.
 */
final class Checker {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    record SentAck(String user, String cmid, String conv, long seq, String id) {
    }

    /** Every acknowledged send of a scenario, in the order each sender got them. */
    static final class Ledger {
        final List<SentAck> acks = new CopyOnWriteArrayList<>();
        final Set<String> sentCmids = ConcurrentHashMap.newKeySet();

        void sent(String cmid) {
            sentCmids.add(cmid);
        }

        void acked(ChatClient client, ServerFrame.Ack ack) {
            acks.add(new SentAck(client.login.userId(), ack.cmid(), ack.conv(), ack.seq(), ack.id()));
        }
    }

    record Result(int conversations, int messages, int acks, int lost, int duplicated, int unexpected, List<String> details) {
        boolean clean() {
            return lost == 0 && duplicated == 0 && unexpected == 0;
        }

        @Override
        public String toString() {
            return "conversations=" + conversations + " messages=" + messages + " acks=" + acks + " lost=" + lost
                    + " duplicated=" + duplicated + " unexpected=" + unexpected
                    + (details.isEmpty() ? "" : " details(first 20)=" + details.subList(0, Math.min(20, details.size())));
        }
    }

    static Result check(HttpClient http, int gatewayPort, Map<String, List<ChatClient>> members, Ledger ledger) {
        int lost = 0;
        int duplicated = 0;
        int unexpected = 0;
        int messages = 0;
        List<String> details = new ArrayList<>();
        for (var entry : members.entrySet()) {
            String conv = entry.getKey();
            TreeMap<Long, JsonNode> history = history(http, gatewayPort, conv, entry.getValue().get(0).login.token());
            messages += history.size();
            long expected = 1;
            Map<String, Long> cmids = new HashMap<>();
            for (var m : history.entrySet()) {
                if (m.getKey() != expected) {
                    unexpected++;
                    details.add(conv + ": history seq " + m.getKey() + " where " + expected + " was expected");
                }
                expected = m.getKey() + 1;
                String cmid = m.getValue().get("cmid").asString();
                String key = m.getValue().get("from").get("id").asString() + "/" + cmid;
                Long other = cmids.putIfAbsent(key, m.getKey());
                if (other != null) {
                    duplicated++;
                    details.add(conv + ": cmid " + cmid + " stored at seq " + other + " and " + m.getKey());
                }
                if (!ledger.sentCmids.contains(cmid)) {
                    unexpected++;
                    details.add(conv + ": seq " + m.getKey() + " has cmid " + cmid + " that no client sent");
                }
            }
            for (SentAck ack : ledger.acks) {
                if (!ack.conv().equals(conv)) {
                    continue;
                }
                JsonNode stored = history.get(ack.seq());
                if (stored == null || !stored.get("id").asString().equals(ack.id()) || !stored.get("cmid").asString().equals(ack.cmid())) {
                    lost++;
                    details.add(conv + ": ack " + ack + " not in history (history has " + stored + ")");
                }
            }
            for (ChatClient client : entry.getValue()) {
                Map<Long, ServerFrame.Message> view = client.view.getOrDefault(conv, new java.util.concurrent.ConcurrentSkipListMap<>());
                for (var m : history.entrySet()) {
                    ServerFrame.Message seen = view.get(m.getKey());
                    if (seen == null) {
                        lost++;
                        details.add(conv + ": " + client.name + " lacks seq " + m.getKey());
                    } else if (!seen.id().equals(m.getValue().get("id").asString())) {
                        unexpected++;
                        details.add(conv + ": " + client.name + " has another message at seq " + m.getKey());
                    }
                }
                for (Long seq : view.keySet()) {
                    if (!history.containsKey(seq)) {
                        unexpected++;
                        details.add(conv + ": " + client.name + " has seq " + seq + " that history lacks");
                    }
                }
            }
        }
        // acks: one cmid, one seq; and a sender's seqs in a conversation only go up.
        Map<String, Long> ackSeq = new HashMap<>();
        Map<String, Long> lastBySender = new HashMap<>();
        for (SentAck ack : ledger.acks) {
            Long other = ackSeq.putIfAbsent(ack.user() + "/" + ack.conv() + "/" + ack.cmid(), ack.seq());
            if (other != null && other != ack.seq()) {
                duplicated++;
                details.add("acks of " + ack.cmid() + " carry seq " + other + " and " + ack.seq());
            }
            if (other == null) {
                Long last = lastBySender.put(ack.user() + "/" + ack.conv(), ack.seq());
                if (last != null && last >= ack.seq()) {
                    unexpected++;
                    details.add(ack.user() + " in " + ack.conv() + ": seq went from " + last + " to " + ack.seq());
                }
            }
        }
        for (List<ChatClient> clients : members.values()) {
            for (ChatClient client : clients) {
                for (String anomaly : client.anomalies) {
                    if (anomaly.startsWith("duplicated")) {
                        duplicated++;
                    } else if (anomaly.startsWith("unexpected")) {
                        unexpected++;
                    }
                    details.add(client.name + ": " + anomaly);
                }
            }
        }
        return new Result(members.size(), messages, ledger.acks.size(), lost, duplicated, unexpected, List.copyOf(details));
    }

    /** The whole conversation, ascending, paged with {@code after}. */
    static TreeMap<Long, JsonNode> history(HttpClient http, int gatewayPort, String conv, String token) {
        TreeMap<Long, JsonNode> all = new TreeMap<>();
        long after = 0;
        for (int page = 0; page < 1000; page++) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort
                                + "/api/history/" + conv + "?limit=200&after=" + after)).timeout(Duration.ofSeconds(10))
                        .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    throw new AssertionError("history " + conv + " answered " + r.statusCode() + ": " + r.body());
                }
                JsonNode body = JSON.readTree(r.body());
                for (JsonNode m : body.get("messages")) {
                    JsonNode previous = all.put(m.get("seq").asLong(), m);
                    if (previous != null) {
                        throw new AssertionError("history " + conv + " returned seq " + m.get("seq") + " twice");
                    }
                    after = Math.max(after, m.get("seq").asLong());
                }
                if (!body.get("more").asBoolean()) {
                    return all;
                }
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("history " + conv + " did not end");
    }
}
