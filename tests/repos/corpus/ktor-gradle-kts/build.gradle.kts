plugins {
    alias(libs.plugins.kotlin.jvm)
    alias(libs.plugins.ktor)
    alias(libs.plugins.detekt)
}

group = "com.acme"
version = "0.1.0"

application {
    mainClass.set("com.acme.ApplicationKt")
}

dependencies {
    implementation(libs.ktor.server.core)
    implementation(libs.ktor.server.netty)
    implementation(libs.exposed.core)
    implementation(libs.mysql.connector)
    implementation(libs.logback)
    implementation("io.sentry:sentry:7.9.0")
    testImplementation(libs.kotest)
    testImplementation(kotlin("test"))
}
