fn main() {
    println!("dockside");
}
