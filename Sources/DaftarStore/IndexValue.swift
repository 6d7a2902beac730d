import DaftarModel
import Foundation
internal import GRDB

/// How a shown field value is kept in the field index: text as TEXT, integers as INTEGER,
/// decimals as REAL, booleans as one-byte BLOBs. SQLite sorts numbers before text before blobs,
/// so a range over one type never strays into another.
struct IndexValue {
    let databaseValue: DatabaseValue

    init?(_ value: FieldValue) {
        switch value {
        case .null: return nil
        case .text(let s): databaseValue = s.databaseValue
        case .integer(let n): databaseValue = n.databaseValue
        case .decimal(let d): databaseValue = d.approximation.databaseValue
        case .boolean(let b): databaseValue = Data([b ? 1 : 0]).databaseValue
        }
    }
}
