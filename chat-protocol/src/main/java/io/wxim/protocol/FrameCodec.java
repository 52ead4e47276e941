package io.wxim.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.exc.InvalidTypeIdException;
import tools.jackson.databind.exc.ValueInstantiationException;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.type.LogicalType;

/**
 * The one place where JSON settings live. Decoding is strict (no coercion of scalars, bounded nesting and lengths)
 * and every failure becomes a {@link ProtocolException} with a wire error code: never a stack trace to the client.
 * A field of the wrong JSON type is refused, never converted: a number or boolean where a string belongs, a fraction
 * where an integer belongs. A key given twice is refused too, so no two parsers can read one frame differently.
 * Unknown fields are ignored, so fields claiming identity ({@code from}, {@code seq}, ...) have no effect.
 */
public final class FrameCodec {
    /** Deepest JSON nesting accepted; real frames need 3. */
    static final int MAX_NESTING = 16;

    private final JsonMapper mapper;

    public FrameCodec() {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING)
                        .maxStringLength(1 << 20)
                        .maxNumberLength(20)
                        .build())
                .build();
        this.mapper = JsonMapper.builder(factory)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .withCoercionConfig(LogicalType.Textual, c -> c
                        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
                .withCoercionConfig(LogicalType.Integer, c -> c
                        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.String, CoercionAction.Fail))
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .changeDefaultPropertyInclusion(v -> JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
                .build();
    }

    /** Decodes a client frame; throws {@link ProtocolException} for anything that is not a valid frame. */
    public ClientFrame decodeClient(String json) {
        ClientFrame frame = read(json, ClientFrame.class);
        if (frame == null) { // the JSON text null
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "a frame is a JSON object");
        }
        return frame;
    }

    /** {@code rid} and {@code cmid} of a frame that failed to decode, when present and valid, so errors can echo them. */
    public record FrameIds(String rid, String cmid) {
        static final FrameIds NONE = new FrameIds(null, null);
    }

    /** Best effort, only on the error path: never throws. */
    public FrameIds idsOf(String json) {
        try {
            JsonNode tree = mapper.readTree(json);
            if (tree == null || !tree.isObject()) {
                return FrameIds.NONE;
            }
            return new FrameIds(validId(tree.get("rid")), validId(tree.get("cmid")));
        } catch (JacksonException e) {
            return FrameIds.NONE;
        }
    }

    private static String validId(JsonNode node) {
        return node != null && node.isString() && Conversations.isValidClientId(node.asString()) ? node.asString() : null;
    }

    public ServerFrame decodeServer(String json) {
        return read(json, ServerFrame.class);
    }

    public String encode(ServerFrame frame) {
        return write(frame);
    }

    public String encode(ClientFrame frame) {
        return mapper.writerFor(ClientFrame.class).writeValueAsString(frame);
    }

    /** Encodes any record of the contract (envelopes such as {@link Command}, {@link NodeMessage}). */
    public String write(Object value) {
        if (value instanceof ServerFrame frame) {
            return mapper.writerFor(ServerFrame.class).writeValueAsString(frame);
        }
        return mapper.writeValueAsString(value);
    }

    public <T> T read(String json, Class<T> type) {
        if (json == null || json.isBlank()) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "empty frame");
        }
        try {
            return mapper.readValue(json, type);
        } catch (InvalidTypeIdException e) {
            if (e.getTypeId() == null) {
                throw new ProtocolException(ErrorCode.BAD_REQUEST, "missing \"type\"");
            }
            throw new ProtocolException(ErrorCode.UNKNOWN_TYPE, "unknown type");
        } catch (ValueInstantiationException e) {
            if (e.getCause() instanceof ProtocolException pe) {
                throw pe;
            }
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "invalid frame");
        } catch (JacksonException e) {
            if (e.getCause() instanceof ProtocolException pe) {
                throw pe;
            }
            throw new ProtocolException(ErrorCode.BAD_REQUEST, describe(e));
        }
    }

    /**
     * A short, safe description: the offending field path if known (protocol field names only, never a class name
     * or a client-chosen key), never the input itself.
     */
    private static String describe(JacksonException e) {
        StringBuilder path = new StringBuilder();
        for (JacksonException.Reference ref : e.getPath()) {
            String name = ref.getPropertyName();
            String part = name != null && FIELD_NAME.matcher(name).matches() ? name : ref.getIndex() >= 0 ? "[" + ref.getIndex() + "]" : "?";
            path.append(path.isEmpty() ? "" : ".").append(part);
        }
        return path.isEmpty() ? "malformed frame" : "malformed frame at " + path;
    }

    private static final java.util.regex.Pattern FIELD_NAME = java.util.regex.Pattern.compile("[a-zA-Z]{1,16}");
}
