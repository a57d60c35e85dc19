package org.cse.classifier;

/** The policy file is invalid; the message names the file and the line. Stops the app at start-up. */
public class PolicyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PolicyException(String message) {
        super(message);
    }
}
