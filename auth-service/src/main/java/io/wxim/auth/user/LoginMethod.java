package io.wxim.auth.user;

/**
 * A way to log in, each with its own link collection mapping an external key to a user id
 * ({@code {_id: key, userId}}); every method goes through {@link UserService#findOrCreate} or links a key to a
 * known user with {@link UserService#linkIfAbsent}.
 */
public enum LoginMethod {
    /** Development login; key = nickname lower-cased (Locale.ROOT). */
    DEV("dev_logins"),
    /** WeChat mini-program login; key = the user's openid for our appid. */
    WECHAT("wechat_logins"),
    /**
     * WeChat open platform identity; key = unionid, the same for one person across every app of the open platform
     * account. Present only when the mini-program is bound to one.
     */
    WECHAT_UNION("wechat_unions");

    private final String collection;

    LoginMethod(String collection) {
        this.collection = collection;
    }

    /** Mongo collection of {@code {_id: key, userId}} documents. */
    public String collection() {
        return collection;
    }
}
