public import DaftarModel
public import DaftarStore

extension Store {
    /// What a node's first direct exchange with the central node does, for tests that move
    /// changes between stores without a server: the node takes `central` as its root, with the
    /// root's key, and the central node binds this node's key in its registry (once it is the
    /// root, that is once it has written a grant).
    public func enroll(at central: Store) throws {
        try adoptRoot(central.node, key: try central.rootKey())
        try central.bindKeyOf(self)
    }

    /// At the central node: binds `office`'s key, as its first exchange would.
    public func bindKeyOf(_ office: Store) throws {
        guard try root() == node, let key = try office.publicKey() else { return }
        _ = try bindKey(of: office.node, key, as: "central node")
    }
}
