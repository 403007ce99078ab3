import Unicorn

func Unicorn_version() -> String {
    let v = Engine.version
    return "\(v.major).\(v.minor).\(v.patch)"
}
