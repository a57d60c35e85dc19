package org.cse.classifier;

import org.cse.runtime.ServiceMain;

/** Runs the classifier; configuration from environment variables (see {@link ClassifierConfig}). */
public final class ClassifierMain {
    private ClassifierMain() {
    }

    public static void main(String[] args) {
        ServiceMain.run("classifier-stream", env -> new ClassifierService(ClassifierConfig.from(env)));
    }
}
