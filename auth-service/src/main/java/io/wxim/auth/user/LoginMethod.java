package io.wxim.auth.user;

/**
 * A way to log in, each with its own link collection mapping an external key to a user id. WeChat login adds
 * {@code WECHAT("wechat_logins")} keyed by openid and calls {@link UserService#findOrCreate} the same way.
 */
public enum LoginMethod {
    /** Development login; key = nickname lower-cased (Locale.ROOT). */
    DEV("dev_logins");

    private final String collection;

    LoginMethod(String collection) {
        this.collection = collection;
    }

    /** Mongo collection of {@code {_id: key, userId}} documents. */
    public String collection() {
        return collection;
    }
}
