use crate::support::{Env, text};

fn add_user(env: &Env, args: &[&str], password: &str) -> std::process::Output {
    env.add_user(args, password)
}

#[test]
fn the_first_admin_is_added_from_the_command_line() {
    for env in Env::all() {
        let email = format!("Ada.{}@Example.com", uuid::Uuid::now_v7().simple());
        let out = add_user(&env, &[&email, "--name", "Ada Admin", "--role", "admin"], "a long enough password");
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(!text(&out.stdout).contains("a long enough password"), "a given password is never echoed");

        let short = add_user(&env, &["b@example.com", "--name", "B", "--role", "agent"], "short");
        assert!(!short.status.success());
        assert!(text(&short.stderr).contains("at least 12 characters"), "{}", text(&short.stderr));
        let bad_role = add_user(&env, &["c@example.com", "--name", "C", "--role", "integrator"], "a long enough password");
        assert!(text(&bad_role.stderr).contains("not a user role"), "{}", text(&bad_role.stderr));
        let bad_email = add_user(&env, &["not-an-email", "--name", "D", "--role", "agent"], "a long enough password");
        assert!(text(&bad_email.stderr).contains("malformed"), "{}", text(&bad_email.stderr));

        let list = env.ok(&["user", "list"]);
        assert!(list.contains(&format!("{}\tAda Admin\tadmin\tactive", email.to_lowercase())), "{list}");
        env.ok(&["user", "disable", &email.to_lowercase()]);
        assert!(env.ok(&["user", "list"]).contains("\tdisabled"));
        assert!(env.ok(&["audit", "verify"]).contains("unbroken"));
    }
}
