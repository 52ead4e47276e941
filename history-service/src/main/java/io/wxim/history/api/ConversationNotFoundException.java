package io.wxim.history.api;

/** The conversation does not exist, is malformed, or the caller is not a member: one answer for all (404). */
class ConversationNotFoundException extends RuntimeException {
    ConversationNotFoundException() {
        super("conversation not found", null, false, false);
    }
}
