package io.wxim.auth.wechat;

import io.wxim.auth.token.TokenResponse;
import io.wxim.auth.token.TokenService;
import io.wxim.auth.user.LoginMethod;
import io.wxim.auth.user.ProfileUpdate;
import io.wxim.auth.user.UserService;
import io.wxim.protocol.UserRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * WeChat mini-program login: code -> code2session -> (checked profile data) -> user -> session_key into the vault
 * -> tokens. The user is found by unionid first (the same person across the apps of one open platform account),
 * then by openid; whichever of the two is new gets linked to that user. The session_key stays in this service: it
 * checks the profile data, is sealed into Redis, and appears in no answer, token, log line or error. Logs carry the
 * user id and the outcome only.
 */
class WeChatLoginService {
    private static final Logger log = LoggerFactory.getLogger(WeChatLoginService.class);

    private final Code2SessionClient wechat;
    private final UserService users;
    private final WeChatSessionKeyRepository sessionKeys;
    private final TokenService tokens;
    private final JsonMapper json;
    private final String appId;

    WeChatLoginService(Code2SessionClient wechat, UserService users, WeChatSessionKeyRepository sessionKeys,
                       TokenService tokens, JsonMapper json, WeChatCredentials credentials) {
        this.wechat = wechat;
        this.users = users;
        this.sessionKeys = sessionKeys;
        this.tokens = tokens;
        this.json = json;
        this.appId = credentials.appId();
    }

    Mono<TokenResponse> login(WeChatLoginRequest request) {
        return wechat.exchange(request.code())
                .flatMap(session -> {
                    WeChatUserInfo info = userInfo(request, session);
                    // only code2session's unionid (server to server) links accounts: encryptedData is AES-CBC without
                    // integrity, so a client that flips IV bits can steer its first block
                    String unionId = session.unionId();
                    return resolveUser(session.openId(), unionId, info.profile())
                            .flatMap(user -> sessionKeys.save(user.id(), session.sessionKey()).thenReturn(user));
                })
                .flatMap(tokens::issueFor)
                .doOnNext(response -> log.info("wechat login: userId={} outcome=ok", response.user().id()))
                .doOnError(WeChatLoginException.class, e -> log.info("wechat login: outcome={}", e.code()));
    }

    /** Checks the optional profile data against the session; encryptedData wins over rawData where both say something. */
    private WeChatUserInfo userInfo(WeChatLoginRequest request, WeChatSession session) {
        WeChatUserInfo encrypted = request.encryptedData() == null ? WeChatUserInfo.NONE
                : WeChatUserInfo.fromEncryptedData(request.encryptedData(), request.iv(), session.sessionKey(), appId,
                        json);
        WeChatUserInfo raw = request.rawData() == null ? WeChatUserInfo.NONE
                : WeChatUserInfo.fromRawData(request.rawData(), request.signature(), session.sessionKey(), json);
        return encrypted.or(raw);
    }

    private Mono<UserRef> resolveUser(String openId, String unionId, ProfileUpdate profile) {
        Mono<UserRef> byUnionId = unionId == null ? Mono.empty()
                : users.findUserId(LoginMethod.WECHAT_UNION, unionId)
                        .flatMap(userId -> users.linkIfAbsent(LoginMethod.WECHAT, openId, userId)
                                .doOnNext(linked -> warnIfOther(linked, userId, LoginMethod.WECHAT))
                                .then(Mono.defer(() -> users.updateProfile(userId, profile))));
        return byUnionId.switchIfEmpty(Mono.defer(() -> users.findOrCreate(LoginMethod.WECHAT, openId, profile)
                .flatMap(user -> unionId == null ? Mono.just(user)
                        : users.linkIfAbsent(LoginMethod.WECHAT_UNION, unionId, user.id())
                                .doOnNext(linked -> warnIfOther(linked, user.id(), LoginMethod.WECHAT_UNION))
                                .thenReturn(user))));
    }

    /** A key that already leads to someone else keeps its link; the login goes on as {@code userId}. */
    private static void warnIfOther(String linkedUserId, String userId, LoginMethod method) {
        if (!linkedUserId.equals(userId)) {
            log.warn("wechat login: {} key already linked to another user, kept: userId={} otherUserId={}",
                    method, userId, linkedUserId);
        }
    }
}
