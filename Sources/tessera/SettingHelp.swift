import ArgumentParser
import TesseraServer

extension ArgumentHelp {
    /// A `serve` flag's help, from its row in the settings table (`ServeSetting`).
    static func setting(_ key: ServeOptions.CodingKeys) -> ArgumentHelp {
        let setting = key.setting
        return ArgumentHelp(setting.help, valueName: setting.valueName)
    }
}
