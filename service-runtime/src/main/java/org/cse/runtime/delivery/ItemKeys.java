package org.cse.runtime.delivery;

import org.cse.schemas.Limits;

/**
 * Keys of a delivery store: the account, a separator, the item. An account's items are one prefix
 * scan (never a scan of the whole store, whatever the history); an item is one lookup. The separator
 * is a control character, which no id can hold ({@link Limits#isId}), so no account's prefix is the
 * start of another's.
 */
public final class ItemKeys {
    static final char SEPARATOR = '\u0001';

    private ItemKeys() {
    }

    public static String of(String account, String itemId) {
        return account + SEPARATOR + itemId;
    }

    /** Every key of the account starts with this, and no key of another account does. */
    public static String prefix(String account) {
        return account + SEPARATOR;
    }

    /** The item part of a key. */
    public static String itemOf(String key) {
        return key.substring(key.indexOf(SEPARATOR) + 1);
    }
}
