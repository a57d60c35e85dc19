package org.cse.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.xml.sax.SAXException;

class SafeXmlTest {
    @Test
    void parsesAnswersOneAfterAnotherWithTheSameBuilder() throws Exception {
        for (int i = 0; i < 3; i++) {
            var document = SafeXml.parse(("<reportResponse><responseCode>" + i + "</responseCode></reportResponse>")
                    .getBytes(StandardCharsets.UTF_8));
            assertThat(document.getElementsByTagName("responseCode").item(0).getTextContent()).isEqualTo(Integer.toString(i));
        }
    }

    @Test
    void refusesADoctypeSoNoEntityIsEverExpandedOrFetched() {
        String xxe = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>";
        assertThatThrownBy(() -> SafeXml.parse(xxe.getBytes(StandardCharsets.UTF_8))).isInstanceOf(SAXException.class)
                .hasMessageContaining("DOCTYPE");
        String bomb = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;\">]><r>&b;</r>";
        assertThatThrownBy(() -> SafeXml.parse(bomb.getBytes(StandardCharsets.UTF_8))).isInstanceOf(SAXException.class);
    }

    @Test
    void aMalformedAnswerIsAnErrorAndTheNextOneStillParses() throws Exception {
        assertThatThrownBy(() -> SafeXml.parse("<a><b></a>".getBytes(StandardCharsets.UTF_8))).isInstanceOf(SAXException.class);
        assertThat(SafeXml.parse("<a/>".getBytes(StandardCharsets.UTF_8)).getDocumentElement().getTagName()).isEqualTo("a");
    }
}
