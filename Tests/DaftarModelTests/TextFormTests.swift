import Foundation
import PropertyBased
import Testing

@testable import DaftarModel

/// Swift's `==` on strings is canonical equivalence, so NFC is checked on the scalars.
private func scalars(_ s: String) -> [UInt32] { s.unicodeScalars.map(\.value) }

@Suite struct TextFormTests {
    // MARK: NFC

    @Test func normalizedComposesToNFC() {
        #expect(scalars(TextForm.normalized("e\u{301}")) == [0xE9])
        #expect(scalars(TextForm.normalized("Cafe\u{301}")) == scalars("Caf\u{E9}"))
        // Alef + madda above composes to آ.
        #expect(scalars(TextForm.normalized("\u{627}\u{653}")) == [0x622])
        // Alef + hamza above composes to أ.
        #expect(scalars(TextForm.normalized("\u{627}\u{654}")) == [0x623])
        // Already NFC text is unchanged.
        #expect(scalars(TextForm.normalized("محمد علی")) == scalars("محمد علی"))
        #expect(TextForm.normalized("") == "")
    }

    @Test func asciiIsReturnedAsIs() {
        let s = "Raid at 03001234567 \t\n~"
        #expect(Array(TextForm.normalized(s).utf8) == Array(s.utf8))
    }

    @Test func normalizedIsIdempotentAndCanonical() async {
        let pieces = ["a", "e", "\u{301}", "\u{300}", "\u{E9}", "\u{627}", "\u{653}", "\u{654}", "\u{64A}", "\u{6CC}", "\u{1E0B}", "\u{323}", "A", "0", " "]
        await propertyCheck(count: 200, input: Gen.int(in: 0...(pieces.count - 1)).array(of: 0...12)) { picks in
            let s = picks.map { pieces[$0] }.joined()
            let n = TextForm.normalized(s)
            #expect(scalars(TextForm.normalized(n)) == scalars(n))
            #expect(n == s)  // canonically equivalent
            #expect(scalars(n) == scalars(s.precomposedStringWithCanonicalMapping))
        }
    }

    // MARK: folded

    @Test func foldsCase() {
        #expect(TextForm.folded("Ali KHAN") == "ali khan")
        #expect(TextForm.folded("FIA-Lahore") == "fia-lahore")
        #expect(scalars(TextForm.folded("ÉCOLE Ali")) == scalars("\u{E9}cole ali"))
    }

    @Test func foldsArabicYehAndAlefMaksuraToUrduYeh() {
        #expect(scalars(TextForm.folded("\u{64A}")) == [0x6CC])  // ي
        #expect(scalars(TextForm.folded("\u{649}")) == [0x6CC])  // ى
        #expect(scalars(TextForm.folded("\u{6CC}")) == [0x6CC])  // ی stays
        #expect(TextForm.folded("علي") == TextForm.folded("علی"))
    }

    @Test func foldsArabicKafToKeheh() {
        #expect(scalars(TextForm.folded("\u{643}")) == [0x6A9])  // ك to ک
        #expect(TextForm.folded("كراچی") == TextForm.folded("کراچی"))
    }

    @Test func foldsHehVariantsToHehGoal() {
        #expect(scalars(TextForm.folded("\u{647}")) == [0x6C1])  // ه
        #expect(scalars(TextForm.folded("\u{629}")) == [0x6C1])  // ة
        #expect(scalars(TextForm.folded("\u{6C0}")) == [0x6C1])  // ۀ
        #expect(scalars(TextForm.folded("\u{6C3}")) == [0x6C1])  // ۃ
        #expect(scalars(TextForm.folded("\u{6C1}")) == [0x6C1])  // ہ stays
        #expect(TextForm.folded("عائشه") == TextForm.folded("عائشہ"))
    }

    @Test func foldsAlefVariants() {
        for alef in ["\u{622}", "\u{623}", "\u{625}", "\u{671}", "\u{627}\u{653}", "\u{627}\u{654}"] {
            #expect(scalars(TextForm.folded(alef)) == [0x627], "\(scalars(alef))")
        }
        #expect(TextForm.folded("أحمد") == TextForm.folded("احمد"))
    }

    @Test func removesVowelMarksAndTatweel() {
        #expect(scalars(TextForm.folded("مُحَمَّد")) == scalars("محمد"))
        #expect(scalars(TextForm.folded("مـحـمـد")) == scalars("محمد"))
        #expect(scalars(TextForm.folded("\u{639}\u{670}")) == [0x639])  // superscript alef
    }

    @Test func foldsEasternArabicDigitsToASCII() {
        #expect(TextForm.folded("٠١٢٣٤٥٦٧٨٩") == "0123456789")  // Arabic-Indic
        #expect(TextForm.folded("۰۱۲۳۴۵۶۷۸۹") == "0123456789")  // Extended (Urdu, Persian)
        #expect(TextForm.folded("ایف آئی آر ۱۲۳") == TextForm.folded("ایف آئی آر 123"))
    }

    @Test func leadingZerosAreKeptInText() throws {
        #expect(TextForm.folded("03001234567") == "03001234567")
        #expect(TextForm.folded("۰۳۰۰۱۲۳۴۵۶۷") == "03001234567")
        #expect(TextForm.normalized("0042") == "0042")
        let value = try FieldValue.text(normalizing: "03001234567")
        #expect(value == .text("03001234567"))
        #expect(value.displayText == "03001234567")
        #expect(value.typeName == "text")
    }

    @Test func foldedIsTheSameForNFDAndNFC() {
        #expect(scalars(TextForm.folded("Cafe\u{301}")) == scalars(TextForm.folded("Caf\u{E9}")))
        #expect(scalars(TextForm.folded("\u{627}\u{653}ب")) == scalars(TextForm.folded("\u{622}ب")))
    }

    @Test func foldedIsIdempotent() async {
        let pieces = [
            "A", "b", "\u{64A}", "\u{649}", "\u{643}", "\u{647}", "\u{629}", "\u{6C0}", "\u{623}", "\u{64E}", "\u{640}",
            "\u{663}", "\u{6F7}", "\u{6CC}", "\u{6A9}", "\u{6C1}", "e", " ", "0",
        ]
        // (A Latin combining mark right after a removed tatweel is left out: folding removes the
        // tatweel after composing, so "A\u{640}\u{301}" folds to a non-NFC "a\u{301}".)
        await propertyCheck(count: 200, input: Gen.int(in: 0...(pieces.count - 1)).array(of: 0...12)) { picks in
            let s = picks.map { pieces[$0] }.joined()
            let f = TextForm.folded(s)
            #expect(scalars(TextForm.folded(f)) == scalars(f))
            // Nothing left to fold.
            #expect(!f.unicodeScalars.contains { [0x64A, 0x649, 0x643, 0x647, 0x629, 0x6C0, 0x623, 0x64E, 0x640].contains($0.value) })
            #expect(!f.unicodeScalars.contains { (0x660...0x669).contains($0.value) || (0x6F0...0x6F9).contains($0.value) })
        }
    }

    /// Text a change carries must be NFC: an NFD value is not accepted as it stands.
    @Test func nonNFCTextValueIsRefused() {
        expectValidationError(.invalidText, containing: "NFC") { try FieldValue.text("Cafe\u{301}").validate() }
    }
}
