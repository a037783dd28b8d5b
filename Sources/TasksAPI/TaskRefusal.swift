/// Why the task API refuses a request's body before anything is stored: the message of its 400 answer.
struct TaskRefusal: Error, Equatable {
    let message: String
    init(_ message: String) { self.message = message }
}
