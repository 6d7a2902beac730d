import Foundation

/// Text in the one form that hashes and compares: Unicode NFC.
public enum TextForm {
    /// The NFC form of `text`. Pure ASCII is already NFC and is returned as it is.
    public static func normalized(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text }
        return text.precomposedStringWithCanonicalMapping
    }

    /// The form used for matching: lower case, Arabic and Urdu letter variants folded to the
    /// Urdu letter (ي ى to ی, ك to ک, ه ة to ہ, أ إ آ ٱ to ا, ۀ to ہ), Arabic and Urdu vowel marks
    /// removed, Eastern Arabic digits to ASCII. An officer finds a name however it was typed.
    public static func folded(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text.lowercased() }
        var scalars = String.UnicodeScalarView()
        for scalar in text.precomposedStringWithCanonicalMapping.lowercased().unicodeScalars {
            switch scalar.value {
            case 0x064A, 0x0649: scalars.append("\u{06CC}")
            case 0x0643: scalars.append("\u{06A9}")
            case 0x0647, 0x0629, 0x06C0, 0x06C3: scalars.append("\u{06C1}")
            case 0x0622, 0x0623, 0x0625, 0x0671: scalars.append("\u{0627}")
            case 0x064B...0x065F, 0x0670, 0x0640: continue  // vowel marks and tatweel
            case 0x0660...0x0669: scalars.append(Unicode.Scalar(scalar.value - 0x0660 + 0x30)!)
            case 0x06F0...0x06F9: scalars.append(Unicode.Scalar(scalar.value - 0x06F0 + 0x30)!)
            default: scalars.append(scalar)
            }
        }
        return String(scalars).precomposedStringWithCanonicalMapping
    }
}
