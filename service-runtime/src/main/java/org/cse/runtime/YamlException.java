package org.cse.runtime;

/** A configuration file is invalid; the message names the file and the line. Stops the app at start-up. */
public class YamlException extends ConfigException {
    private static final long serialVersionUID = 1L;

    public YamlException(String message) {
        super(message);
    }
}
