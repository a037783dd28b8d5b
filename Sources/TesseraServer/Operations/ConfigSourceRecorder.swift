import Configuration
import NIOConcurrencyHelpers

/// The access reporter of the settings reader: per key read, the provider that answered it, or the error a
/// provider (or the conversion to the key's type) gave. `ServeConfigReader` turns the provider names back into
/// `ServeOptions.Source`s for error messages and the effective-configuration line.
final class ConfigSourceRecorder: AccessReporter, Sendable {
    struct Answer: Sendable {
        /// The `providerName` of the provider whose value was used; nil when none had one.
        var providerName: String?
        /// The provider that failed and why (a value of the wrong type), when one did.
        var failure: (providerName: String, error: String)?
    }

    private let answers = NIOLockedValueBox<[String: Answer]>([:])

    func report(_ event: AccessEvent) {
        let key = event.metadata.key.components.joined(separator: ".")
        var answer = Answer()
        for result in event.providerResults {
            switch result.result {
            case .success(let lookup):
                if lookup.value != nil, answer.providerName == nil { answer.providerName = result.providerName }
            case .failure(let error):
                if answer.failure == nil { answer.failure = (result.providerName, "\(error)") }
            }
        }
        if let conversion = event.conversionError, answer.failure == nil {
            answer.failure = (answer.providerName ?? "", "\(conversion)")
        }
        answers.withLockedValue { $0[key] = answer }
    }

    /// What the last read of `key` found.
    func answer(for key: String) -> Answer? {
        answers.withLockedValue { $0[key] }
    }
}
