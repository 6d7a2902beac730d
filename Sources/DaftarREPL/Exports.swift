// The command language is part of the console's interface: whoever uses the console uses it.
@_exported public import DaftarCommand
